import { type IncomingMessage, ServerResponse } from 'node:http';

/**
 * A `ServerResponse` whose header values reach the wire as the bytes they stand for. The core's header values are
 * byte strings (one char per byte: identity headers carry UTF-8 that way); Node writes the header block latin1, one
 * byte per char, except when the first body chunk is a string, where it sends header and body together in the body's
 * encoding: UTF-8 would re-encode every byte above 0x7F (`Zoë` leaves as `ZoÃ«`). @hono/node-server ends most
 * responses with a string body, so string chunks become Buffers here (passed to `http.createServer` as
 * `ServerResponse`). A string written as latin1 is left alone: that encoding is one byte per char, header and body.
 */
export class ByteHeaderResponse<Req extends IncomingMessage = IncomingMessage> extends ServerResponse<Req> {
  // biome-ignore lint/suspicious/noExplicitAny: Node's overloads of write/end, passed through unchanged
  override write(chunk: any, ...rest: any[]): boolean {
    return super.write(asBytes(chunk, rest[0]), ...(rest as [BufferEncoding, () => void]));
  }

  // biome-ignore lint/suspicious/noExplicitAny: as above
  override end(chunk?: any, ...rest: any[]): this {
    return super.end(asBytes(chunk, rest[0]), ...(rest as [BufferEncoding, () => void]));
  }
}

function asBytes(chunk: unknown, encoding: unknown): unknown {
  return typeof chunk === 'string' && encoding !== 'latin1'
    ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
    : chunk;
}
