import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

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
  // A websocket upgrade is echoed too: the handshake (RFC 6455 §4.2.2), then one text frame with the same JSON.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req, socket) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    const echoed: EchoedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    received.push(echoed);
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const payload = Buffer.from(JSON.stringify(echoed), 'utf8');
    // FIN + text opcode; 16-bit extended length (the JSON stays far below 64 KiB).
    const header = Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.write(Buffer.concat([header, payload]));
    socket.on('error', () => {});
    socket.on('data', () => {});
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
        for (const socket of upgraded) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
