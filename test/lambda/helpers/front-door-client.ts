import { request } from 'node:https';
import type { FrontDoor, FrontDoorEvent, FrontDoorResult, Invocation } from '../../../dev/aws-front-door.js';

export interface DoorRequest {
  method?: string;
  /** Path and query as sent. */
  path: string;
  /** The Host header (default: the listener's loopback name, which stands for the front door's AWS host). */
  host?: string;
  /** Request headers; repeat a name by giving an array. */
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface DoorResponse {
  status: number;
  /** Response headers, lower-case names (Set-Cookie only in `setCookies`). */
  headers: Record<string, string>;
  setCookies: string[];
  /** The raw body bytes. */
  raw: Buffer;
  body: string;
  /** What the front door handed the function and got back (undefined when the front door answered itself). */
  invocation?: Invocation;
  event?: FrontDoorEvent;
  result?: FrontDoorResult;
}

/**
 * One HTTPS request to a local front door on 127.0.0.1, trusting only `ca`, with the Host (and SNI) the caller
 * chooses: the way Traefik or a browser reaches a Function URL or an HTTP API custom domain.
 */
export function doorRequest(door: FrontDoor, ca: string, r: DoorRequest): Promise<DoorResponse> {
  const host = r.host ?? `localhost:${door.port}`;
  const before = door.invocations.at(-1);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: door.port,
        method: r.method ?? 'GET',
        path: r.path,
        headers: { ...r.headers, Host: host },
        servername: host.replace(/:\d+$/, ''),
        ca,
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (k !== 'set-cookie' && v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          const raw = Buffer.concat(chunks);
          const last = door.invocations.at(-1);
          const invocation = last !== before ? last : undefined;
          resolve({
            status: res.statusCode ?? 0,
            headers,
            setCookies: res.headers['set-cookie'] ?? [],
            raw,
            body: raw.toString('utf8'),
            ...(invocation ? { invocation, event: invocation.event, result: invocation.result } : {}),
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${r.method ?? 'GET'} ${r.path} timed out`)));
    req.on('error', reject);
    req.end(r.body);
  });
}
