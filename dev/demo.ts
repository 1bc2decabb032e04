import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { validateConfig } from '../shared/config/load.js';
import type { Config } from '../shared/config/types.js';
import { type DevIdp, startDevIdp } from './idp.js';

export const DEMO_CLIENT = { clientId: 'tfa-demo', clientSecret: 'demo-secret-not-for-production' };

/** The demo's config: one portal, one Pocket ID provider (the dev IdP), sessions in memory, cookies over plain HTTP. */
export function demoConfig(idpIssuer: string, port: number): Config {
  return validateConfig(
    {
      server: { bind: '127.0.0.1', port, domains: [{ domain: 'localhost', authHost: `localhost:${port}` }] },
      cookies: { insecure: true },
      portals: [
        {
          name: 'demo',
          displayName: 'tfa-serverless demo',
          providers: [
            {
              pocketID: {
                endpoint: idpIssuer,
                clientID: DEMO_CLIENT.clientId,
                clientSecret: DEMO_CLIENT.clientSecret,
                displayName: 'Demo IdP (not for production)',
              },
            },
          ],
        },
      ],
    },
    'demo config',
  ).config;
}

export async function startDemoIdp(port: number): Promise<DevIdp> {
  return startDevIdp({ host: '127.0.0.1', port, clients: [DEMO_CLIENT] });
}

/**
 * A tiny protected app that does what Traefik's forwardAuth does: asks the auth server about every request (with
 * X-Forwarded-* headers and the browser's cookies), relays any non-2xx answer verbatim, and otherwise shows who the
 * auth server says the user is. Demo only.
 */
export async function startDemoApp(port: number, authUrl: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    // Browsers ask every origin for an icon; this app has none, and asking the auth server would start a login.
    if (req.url === '/favicon.ico') {
      res.writeHead(204, { 'Cache-Control': 'public, max-age=86400' }).end();
      return;
    }
    try {
      // undici's request, not fetch: fetch would replace the browser's Sec-Fetch-Mode with its own `cors`, and the
      // auth server gives a login state cookie to top-level navigations only.
      const browserHeaders: Record<string, string> = {};
      for (const name of ['cookie', 'sec-fetch-mode', 'sec-fetch-dest', 'sec-fetch-site']) {
        const value = req.headers[name];
        if (typeof value === 'string') browserHeaders[name] = value;
      }
      const check = await request(authUrl, {
        headers: {
          ...browserHeaders,
          'X-Forwarded-Proto': 'http',
          'X-Forwarded-Host': req.headers.host ?? `localhost:${port}`,
          'X-Forwarded-Uri': req.url ?? '/',
          'X-Forwarded-Method': req.method ?? 'GET',
          'X-Forwarded-For': '127.0.0.1',
          Accept: req.headers.accept ?? '*/*',
        },
      });
      if (check.statusCode < 200 || check.statusCode > 299) {
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(check.headers))
          if (v !== undefined && k !== 'content-length' && k !== 'transfer-encoding') headers[k] = v;
        res.writeHead(check.statusCode, headers).end(await check.body.text());
        return;
      }
      const header = (name: string) => {
        const v = check.headers[name];
        return typeof v === 'string' ? v : '';
      };
      await check.body.dump();
      const user = Buffer.from(header('x-forwarded-user'), 'latin1').toString('utf8');
      const name = Buffer.from(header('x-forwarded-displayname'), 'latin1').toString('utf8');
      const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      res
        .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
        .end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Protected demo app</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto">
<h1>Hello, ${esc(name || user)}!</h1>
<p>This page is protected by tfa-serverless. The auth server said:</p>
<ul><li><code>X-Forwarded-User: ${esc(user)}</code></li><li><code>X-Forwarded-Displayname: ${esc(name)}</code></li></ul>
<p><a href="${esc(authUrl.replace('127.0.0.1', 'localhost'))}/authenticated">Log out</a> (on the auth server's page: it refuses a logout posted from another origin)</p>
</body></html>`);
    } catch {
      res.writeHead(502, { 'Content-Type': 'text/plain' }).end('The auth server is not reachable');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

export function serverPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}
