/**
 * `server.tlsClientAuth` behind real Caddy: docs/recipes/Caddyfile.mtls as is, `forward_auth` presenting a client
 * certificate made at test time (`transport http { tls_client_auth … }`) to the standalone server over HTTPS; a
 * browser signs in through it. Without `tls_client_auth` the server answers the check with its 401.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../dev/local-pki.js';
import { echoedOnPage, launchChromium, openPage } from './harness/browser.js';
import { type ProxiedApp, rawGet, signInThroughProxy } from './harness/flows.js';
import { freePort } from './harness/processes.js';
import { type RunningProxy, startCaddy } from './harness/proxies.js';
import { type E2EStack, pocketID, startE2EStack } from './harness/stack.js';

const RECIPE = 'Caddyfile.mtls';

let pki: TestPki;
let dir: string;
let stack: E2EStack | undefined;
let browser: Browser | undefined;
const proxies: RunningProxy[] = [];

/** Caddy on `port` running the recipe (as is, or after `edit`) in front of the mTLS stack. */
async function caddyOn(port: number, edit?: (caddyfile: string) => string): Promise<ProxiedApp> {
  if (!stack) throw new Error('no stack');
  const values = {
    APP_SITE: `http://app.example.test:${port}`,
    AUTH_SITE: `http://auth.example.test:${port}`,
    AUTH_UPSTREAM: stack.authUpstream,
    PORTAL: 'main',
    SERVER_CA: join(dir, 'server-ca.pem'),
    CLIENT_CERT: join(dir, 'client.pem'),
    CLIENT_KEY: join(dir, 'client.key'),
    APP_UPSTREAM: stack.echo.url,
  };
  const proxy = await startCaddy(RECIPE, values, port, edit);
  proxies.push(proxy);
  return {
    appOrigin: `http://app.example.test:${port}`,
    portalUri: `http://auth.example.test:${port}/portals/main`,
    proxyPort: port,
    idpIssuer: stack.idp.issuer,
    echo: stack.echo,
  };
}

beforeAll(async () => {
  pki = createTestPki('tfa e2e Caddy mTLS CA');
  dir = mkdtempSync(join(tmpdir(), 'tfa-e2e-caddy-mtls-'));
  writeFileSync(join(dir, 'server-ca.pem'), pki.caPEM);
  writeFileSync(join(dir, 'client.pem'), pki.clientCertPEM);
  writeFileSync(join(dir, 'client.key'), pki.clientKeyPEM);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(proxies.map((p) => p.stop()));
  await stack?.close();
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Caddy forward_auth with a client certificate → standalone server with tlsClientAuth', () => {
  let app: ProxiedApp | undefined;

  beforeAll(async () => {
    const port = await freePort();
    stack = await startE2EStack((issuer) => ({
      server: {
        domains: [{ domain: 'example.test', authHost: `auth.example.test:${port}` }],
        tlsCertPEM: pki.serverCertPEM,
        tlsKeyPEM: pki.serverKeyPEM,
        tlsCAPEM: pki.caPEM,
        tlsClientAuth: true,
      },
      cookies: { insecure: true },
      portals: [{ name: 'main', displayName: 'E2E portal', providers: [pocketID(issuer)] }],
    }));
    app = await caddyOn(port);
  }, 60_000);

  it('signs a browser in and hands the app the identity, the check made with the client certificate', async () => {
    // Prepare
    if (!app || !browser) throw new Error('the stack did not start');
    const { context, page } = await openPage(browser);
    try {
      // Act
      await signInThroughProxy(page, app, '/mtls/page?x=1');
      const echoed = await echoedOnPage(page);

      // Assess
      expect(echoed.url).toBe('/mtls/page?x=1');
      expect(echoed.headers['x-forwarded-user']).toBe('alice');
    } finally {
      await context.close();
    }
  });

  it('answers an API client without a session with the server’s own 401 (the check got through mTLS)', async () => {
    // Act
    if (!app) throw new Error('the stack did not start');
    const res = await rawGet(app, '/api/data', { Accept: 'application/json' });

    // Assess
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'Not authenticated' });
  });

  it('gets 401 Client certificate not provided when forward_auth presents no certificate', async () => {
    // Prepare
    const bare = await caddyOn(await freePort(), (c) => c.replace(/^\s*tls_client_auth .*\n/m, ''));

    // Act
    const res = await rawGet(bare, '/api/data', { Accept: 'application/json' });

    // Assess
    expect(res.status).toBe(401);
    expect(res.body).toBe('Error: Client certificate not provided');
  });
});
