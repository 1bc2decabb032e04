import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the protected app received it from the proxy. */
export interface EchoedRequest {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  headers: IncomingHttpHeaders;
}

export interface EchoApp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request received so far, oldest first. */
  readonly received: EchoedRequest[];
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The protected upstream app: answers every request with what it received (method, original URL, headers), as JSON
 * when asked for JSON and otherwise as an HTML page whose `<pre id="echo">` holds the same JSON.
 */
export async function startEchoApp(): Promise<EchoApp> {
  const received: EchoedRequest[] = [];
  const server = createServer((req, res) => {
    const echoed: EchoedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    received.push(echoed);
    const json = JSON.stringify(echoed, null, 2);
    if ((req.headers.accept ?? '').includes('application/json')) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(json);
      return;
    }
    const user = req.headers['x-forwarded-user'];
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Echo app</title></head><body>
<h1>Protected app: hello ${escapeHtml(typeof user === 'string' ? user : 'nobody')}</h1>
<pre id="echo">${escapeHtml(json)}</pre></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
