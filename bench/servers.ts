/**
 * A bench server process (BENCH_MODE), printing `PORT n` once it listens on 127.0.0.1:
 * - `bare`: node:http answering 200 with an empty body (the floor, and the trivial auth server behind Caddy);
 * - `identical`: node:http writing exactly the answer in BENCH_ANSWER (status, headers and body bytes of our cache hit);
 * - `hono`: a minimal Hono app on @hono/node-server answering 200 with an empty body.
 * Our own server runs as production runs it, `node dist/server.mjs` (bench/run.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const mode = process.env.BENCH_MODE;
const listening = (server: { address(): unknown }) => console.log(`PORT ${(server.address() as AddressInfo).port}`);

if (mode === 'bare') {
  const server = createServer((_req, res) => res.writeHead(200).end());
  server.listen(0, '127.0.0.1', () => listening(server));
} else if (mode === 'identical') {
  const answer = JSON.parse(process.env.BENCH_ANSWER ?? '{}') as { status: number; headers: string[]; body: string };
  const body = Buffer.from(answer.body, 'base64');
  const server = createServer((_req, res) => {
    res.writeHead(answer.status, answer.headers);
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () => listening(server));
} else if (mode === 'hono') {
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const app = new Hono();
  app.get('*', (c) => c.body(null, 200));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', overrideGlobalObjects: true }, () =>
    listening(server),
  );
} else {
  throw new Error(`BENCH_MODE '${mode}' is not one of bare, identical, hono`);
}

// Exit normally on SIGTERM so `--cpu-prof` (NODE_OPTIONS) can write its profile.
process.on('SIGTERM', () => process.exit(0));
