import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to each DynamoDB call while set. */
export type DynamoFault = 'none' | 'error' | 'throttle' | 'hang';

const JSON_TYPE = 'application/x-amz-json-1.0';

/**
 * A DynamoDB-API proxy on loopback in front of a real endpoint (dynalite) that fails on command: `error` answers every
 * call with DynamoDB's 500 InternalServerError, `throttle` with its 400 ThrottlingException (both retried by the SDK,
 * then given up), `hang` never answers (the client's request timeout must end it). `none` passes calls through.
 */
export class FaultyDynamo {
  fault: DynamoFault = 'none';
  /** Calls received, by `X-Amz-Target` operation name (`GetItem`, `PutItem`, ...), faulted or not. */
  readonly calls: string[] = [];
  private readonly hung = new Set<ServerResponse>();
  private server = createServer((req, res) => {
    const op =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    this.calls.push(op);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.fault === 'hang') {
        this.hung.add(res);
        return;
      }
      if (this.fault === 'error' || this.fault === 'throttle') {
        const [status, type, message] =
          this.fault === 'error'
            ? [500, 'InternalServerError', 'Internal server error']
            : [400, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput.'];
        res
          .writeHead(status, { 'content-type': JSON_TYPE, 'x-amzn-requestid': 'fault' })
          .end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
        return;
      }
      const up = request(this.target, { method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  /** Back to passing calls through; calls left hanging are cut (their clients have long timed out). */
  heal(): void {
    this.fault = 'none';
    for (const res of this.hung) res.destroy();
    this.hung.clear();
  }

  async stop(): Promise<void> {
    this.heal();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
