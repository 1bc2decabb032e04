import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a fake received it, for assertions. */
export interface RecordedRequest {
  method: string;
  /** The raw request target as sent (path and still-encoded query). */
  target: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names, as Node gives them. */
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a fake answers. */
export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** A JSON reply. */
export function jsonReply(status: number, body: unknown): FakeReply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * Base of the loopback fakes: a real HTTP server on 127.0.0.1 (random port) that records every request, answers
 * through `handle`, and lets a test queue canned replies (failures, bad JSON) or slow answers down.
 */
export abstract class HttpFake {
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[] = [];
  /** Delay before answering, in ms: lets concurrent callers pile up on one in-flight request. */
  delayMs = 0;

  private readonly injected: FakeReply[] = [];
  private server: Server | undefined;
  private baseUrl: string | undefined;

  /** Base URL (`http://127.0.0.1:<port>`), once started. */
  get url(): string {
    if (this.baseUrl === undefined) throw new Error(`${this.constructor.name} is not started`);
    return this.baseUrl;
  }

  /** Requests the fake's token route received (see {@link isTokenRequest}). */
  get tokenRequests(): RecordedRequest[] {
    return this.requests.filter((r) => this.isTokenRequest(r));
  }

  /** Answers the next token request(s) with these replies, in order, instead of the normal behaviour. */
  inject(...replies: FakeReply[]): void {
    this.injected.push(...replies);
  }

  /** Forgets recorded requests and pending injected replies. */
  reset(): void {
    this.requests.length = 0;
    this.injected.length = 0;
    this.delayMs = 0;
  }

  /** Starts listening; returns the base URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      void this.dispatch(req).then(
        (reply) => {
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`fake failed: ${String(err)}`);
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  /** Stops listening and drops kept-alive connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The fake's normal behaviour. */
  protected abstract handle(req: RecordedRequest): FakeReply | Promise<FakeReply>;

  /** Whether canned replies apply to this request. @default every request */
  protected isTokenRequest(_req: RecordedRequest): boolean {
    return true;
  }

  private async dispatch(req: IncomingMessage): Promise<FakeReply> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      target: req.url ?? '/',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(recorded);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const canned = this.isTokenRequest(recorded) ? this.injected.shift() : undefined;
    return canned ?? this.handle(recorded);
  }
}
