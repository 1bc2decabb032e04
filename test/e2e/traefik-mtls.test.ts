/**
 * `server.tlsClientAuth` behind real Traefik: docs/recipes/traefik.mtls.yml as is, Traefik's forwardAuth presenting a
 * client certificate made at test time (`tls.cert`/`tls.key`) to the standalone server over HTTPS; a browser signs in
 * through it. The same recipe without the certificate, and with one of another CA, shows that the server insists.
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
import type { RunningProxy } from './harness/proxies.js';
import { type E2EStack, pocketID, startE2EStack } from './harness/stack.js';
import { startTraefik, traefikBinaries } from './harness/traefik.js';

const [BIN] = traefikBinaries();
const RECIPE = 'traefik.mtls.yml';
/** The recipe's forwardAuth `tls` lines for the client certificate, which the negative cases drop or replace. */
const CLIENT_LINES = /^\s*(cert|key): .*\n/gm;

let pki: TestPki;
let stranger: TestPki;
let dir: string;
let stack: E2EStack | undefined;
let browser: Browser | undefined;
const proxies: RunningProxy[] = [];

/** Traefik on `port` running the recipe (as is, or after `edit`) in front of the mTLS stack. */
async function traefikOn(port: number, edit?: (dynamic: string) => string): Promise<ProxiedApp> {
  if (!BIN || !stack) throw new Error('no Traefik or stack');
  const proxy = await startTraefik(BIN, {
    port,
    trustedIPs: '',
    recipe: RECIPE,
    values: {
      APP_HOST: 'app.example.test',
      AUTH_HOST: 'auth.example.test',
      AUTH_ADDRESS: stack.authUpstream,
      PORTAL: 'main',
      SERVER_CA: join(dir, 'server-ca.pem'),
      CLIENT_CERT: join(dir, 'client.pem'),
      CLIENT_KEY: join(dir, 'client.key'),
      APP_UPSTREAM: stack.echo.url,
    },
    routedHost: 'app.example.test',
    ...(edit ? { edit } : {}),
  });
  proxies.push(proxy);
  return {
    appOrigin: `https://app.example.test:${port}`,
    portalUri: `https://auth.example.test:${port}/portals/main`,
    proxyPort: port,
    idpIssuer: stack.idp.issuer,
    echo: stack.echo,
  };
}

beforeAll(async () => {
  pki = createTestPki('tfa e2e mTLS CA');
  stranger = createTestPki('an unrelated CA');
  dir = mkdtempSync(join(tmpdir(), 'tfa-e2e-mtls-'));
  writeFileSync(join(dir, 'server-ca.pem'), pki.caPEM);
  writeFileSync(join(dir, 'client.pem'), pki.clientCertPEM);
  writeFileSync(join(dir, 'client.key'), pki.clientKeyPEM);
  writeFileSync(join(dir, 'stranger.pem'), stranger.clientCertPEM);
  writeFileSync(join(dir, 'stranger.key'), stranger.clientKeyPEM);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(proxies.map((p) => p.stop()));
  await stack?.close();
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe(`Traefik ${BIN?.version} forwardAuth with a client certificate → standalone server with tlsClientAuth`, () => {
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
      portals: [{ name: 'main', displayName: 'E2E portal', providers: [pocketID(issuer)] }],
    }));
    // Traefik listens on the port written in authHost, so the browser's sign-in pages go through it too.
    app = await traefikOn(port);
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

  it('gets 401 Client certificate not provided when the middleware presents no certificate', async () => {
    // Prepare
    const bare = await traefikOn(await freePort(), (t) => t.replace(CLIENT_LINES, ''));

    // Act
    const res = await rawGet(bare, '/api/data', { Accept: 'application/json' });

    // Assess
    expect(res.status).toBe(401);
    expect(res.body).toBe('Error: Client certificate not provided');
  });

  it('is refused when the middleware holds only a certificate of another CA', async () => {
    // Prepare
    const other = await traefikOn(await freePort(), (t) =>
      t
        .replaceAll(join(dir, 'client.pem'), join(dir, 'stranger.pem'))
        .replaceAll(join(dir, 'client.key'), join(dir, 'stranger.key')),
    );

    // Act
    const res = await rawGet(other, '/api/data', { Accept: 'application/json' });

    // Assess: the server names its CA when it asks for a certificate, and Go's TLS client sends none that another CA
    // signed, so the check has no certificate (test/integration/mtls.test.ts covers a client that sends one anyway).
    expect(res.status).toBe(401);
    expect(res.body).toBe('Error: Client certificate not provided');
  });
});
