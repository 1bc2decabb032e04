/**
 * `server.tlsClientAuth` behind real Caddy: docs/recipes/Caddyfile.mtls as is, `forward_auth` presenting a client
 * certificate made at test time (`transport http { tls_client_auth … }`) to the standalone server over HTTPS; a
 * browser signs in through it. Without `tls_client_auth` the server answers the check with its 401.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { createTestPki, type TestPki } from '../../dev/local-pki.js';
import { launchChromium } from './harness/browser.js';
import type { ProxiedApp } from './harness/flows.js';
import { type MtlsFiles, mtlsCases, startMtlsStack, writeMtlsFiles } from './harness/mtls.js';
import { freePort } from './harness/processes.js';
import { type RunningProxy, startCaddy } from './harness/proxies.js';
import type { E2EStack } from './harness/stack.js';

const RECIPE = 'Caddyfile.mtls';

let pki: TestPki;
let files: MtlsFiles | undefined;
let stack: E2EStack | undefined;
let browser: Browser | undefined;
const proxies: RunningProxy[] = [];

/** Caddy on `port` running the recipe (as is, or after `edit`) in front of the mTLS stack. */
async function caddyOn(port: number, edit?: (caddyfile: string) => string): Promise<ProxiedApp> {
  if (!stack || !files) throw new Error('no stack');
  const values = {
    APP_SITE: `http://app.example.test:${port}`,
    AUTH_SITE: `http://auth.example.test:${port}`,
    AUTH_UPSTREAM: stack.authUpstream,
    PORTAL: 'main',
    SERVER_CA: files.serverCa,
    CLIENT_CERT: files.clientCert,
    CLIENT_KEY: files.clientKey,
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
  files = writeMtlsFiles(pki, 'tfa-e2e-caddy-mtls-');
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(proxies.map((p) => p.stop()));
  await stack?.close();
  await browser?.close();
  files?.remove();
});

describe('Caddy forward_auth with a client certificate → standalone server with tlsClientAuth', () => {
  let app: ProxiedApp | undefined;

  beforeAll(async () => {
    const port = await freePort();
    stack = await startMtlsStack(pki, port, { cookies: { insecure: true } });
    app = await caddyOn(port);
  }, 60_000);

  mtlsCases(() => ({ app, browser }), {
    what: 'forward_auth',
    start: async () => caddyOn(await freePort(), (c) => c.replace(/^\s*tls_client_auth .*\n/m, '')),
  });
});
