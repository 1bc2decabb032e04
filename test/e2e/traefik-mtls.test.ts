/**
 * `server.tlsClientAuth` behind real Traefik: docs/recipes/traefik.mtls.yml as is, Traefik's forwardAuth presenting a
 * client certificate made at test time (`tls.cert`/`tls.key`) to the standalone server over HTTPS; a browser signs in
 * through it. The same recipe without the certificate, and with one of another CA, shows that the server insists.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../dev/local-pki.js';
import { launchChromium } from './harness/browser.js';
import { type ProxiedApp, rawGet } from './harness/flows.js';
import { type MtlsFiles, mtlsCases, startMtlsStack, writeMtlsFiles } from './harness/mtls.js';
import { freePort } from './harness/processes.js';
import type { RunningProxy } from './harness/proxies.js';
import type { E2EStack } from './harness/stack.js';
import { startTraefik, traefikBinaries } from './harness/traefik.js';

const [BIN] = traefikBinaries();
const RECIPE = 'traefik.mtls.yml';
/** The recipe's forwardAuth `tls` lines for the client certificate, which the negative cases drop or replace. */
const CLIENT_LINES = /^\s*(cert|key): .*\n/gm;

let pki: TestPki;
let files: MtlsFiles | undefined;
let stack: E2EStack | undefined;
let browser: Browser | undefined;
const proxies: RunningProxy[] = [];

/** Traefik on `port` running the recipe (as is, or after `edit`) in front of the mTLS stack. */
async function traefikOn(port: number, edit?: (dynamic: string) => string): Promise<ProxiedApp> {
  if (!BIN || !stack || !files) throw new Error('no Traefik or stack');
  const proxy = await startTraefik(BIN, {
    port,
    trustedIPs: '',
    recipe: RECIPE,
    values: {
      APP_HOST: 'app.example.test',
      AUTH_HOST: 'auth.example.test',
      AUTH_ADDRESS: stack.authUpstream,
      PORTAL: 'main',
      SERVER_CA: files.serverCa,
      CLIENT_CERT: files.clientCert,
      CLIENT_KEY: files.clientKey,
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
  files = writeMtlsFiles(pki, 'tfa-e2e-mtls-');
  const stranger = createTestPki('an unrelated CA');
  writeFileSync(join(files.dir, 'stranger.pem'), stranger.clientCertPEM);
  writeFileSync(join(files.dir, 'stranger.key'), stranger.clientKeyPEM);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(proxies.map((p) => p.stop()));
  await stack?.close();
  await browser?.close();
  files?.remove();
});

describe(`Traefik ${BIN?.version} forwardAuth with a client certificate → standalone server with tlsClientAuth`, () => {
  let app: ProxiedApp | undefined;

  beforeAll(async () => {
    const port = await freePort();
    stack = await startMtlsStack(pki, port);
    // Traefik listens on the port written in authHost, so the browser's sign-in pages go through it too.
    app = await traefikOn(port);
  }, 60_000);

  mtlsCases(() => ({ app, browser }), {
    what: 'the middleware',
    start: async () => traefikOn(await freePort(), (t) => t.replace(CLIENT_LINES, '')),
  });

  it('is refused when the middleware holds only a certificate of another CA', async () => {
    // Prepare
    const dir = files?.dir ?? '';
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
