/**
 * The standalone server's request listener: signed-in forward-auth checks on the verify fast path
 * (shared/routes/verify-fast.ts), written straight to the socket; everything else through @hono/node-server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { elapsedMs, type FinishedRequest, requestIdFor } from '../shared/app/base.js';
import type { RawAnswer, RawRequest } from '../shared/routes/verify-fast.js';

/** Headers Node keeps only the first of, which node-server's web Headers joins again from the raw list. */
const RAW_JOINED = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** A Node request as the fast path reads it, with the header values node-server's web Headers would give. */
function rawRequest(req: IncomingMessage, protocol: 'http:' | 'https:'): RawRequest {
  return {
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    protocol,
    header(name) {
      if (!RAW_JOINED.has(name)) {
        const v = req.headers[name];
        return typeof v === 'string' ? v : undefined;
      }
      let value: string | undefined;
      const raw = req.rawHeaders;
      for (let i = 0; i < raw.length; i += 2)
        if (raw[i]?.length === name.length && raw[i]?.toLowerCase() === name)
          value = value === undefined ? raw[i + 1] : `${value}, ${raw[i + 1]}`;
      return value;
    },
  };
}

const NON_ASCII = /[^\p{ASCII}]/u;

/** Writes a fast-path answer the way node-server writes the core's (sorted lower-case names, then Content-Length). */
function write(res: ServerResponse, answer: RawAnswer): void {
  const headers: Record<string, string | number> = {};
  for (const [name, value] of answer.headers) headers[name] = value;
  headers['Content-Length'] = Buffer.byteLength(answer.body);
  res.writeHead(answer.status, headers);
  // A latin1 string body leaves with the header block in one write (a Buffer body takes a second one, through
  // writev); it is the same bytes as UTF-8 only when the body is ASCII, as it is unless the user's name is not.
  if (!NON_ASCII.test(answer.body)) res.end(answer.body, 'latin1');
  else res.end(answer.body);
}

export function fastListener(opts: {
  fetch: (req: Request) => Response | Promise<Response>;
  fast: (req: RawRequest, requestId: string) => Promise<RawAnswer | undefined>;
  record: (r: FinishedRequest) => void;
  trustedRequestIdHeader: string | undefined;
  tls: boolean;
  /** With `tlsClientAuth`: whether the connection's client certificate verified; without one the core answers 401. */
  clientCertificate?: (req: IncomingMessage) => boolean;
}): (req: IncomingMessage, res: ServerResponse) => void {
  const slow = getRequestListener(opts.fetch, { overrideGlobalObjects: true });
  const idHeader = opts.trustedRequestIdHeader?.toLowerCase();
  const protocol = opts.tls ? 'https:' : 'http:';
  return (req, res) => {
    if (opts.clientCertificate && !opts.clientCertificate(req)) return slow(req, res);
    const start = performance.now();
    const raw = rawRequest(req, protocol);
    const requestId = requestIdFor(idHeader ? raw.header(idHeader) : undefined);
    opts.fast(raw, requestId).then(
      (answer) => {
        if (!answer) return slow(req, res);
        write(res, answer);
        opts.record({
          status: answer.status,
          method: raw.method,
          target: () => raw.target,
          forwardedFor: raw.header('x-forwarded-for'),
          durationMs: elapsedMs(start),
          check: true,
          log: { id: requestId },
        });
      },
      // A store failure: the core's path answers it (with its error mapping) and logs it.
      () => slow(req, res),
    );
  };
}
