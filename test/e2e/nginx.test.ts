import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { launchChromium } from './harness/browser.js';
import type { ProxiedApp } from './harness/flows.js';
import { freePort } from './harness/processes.js';
import { type RunningProxy, startNginx } from './harness/proxies.js';
import { proxyBehaviour } from './harness/proxy-suite.js';
import { type E2EStack, pocketID, startE2EStack } from './harness/stack.js';

/**
 * The recipe asks for the 401 answer with `Accept: application/json` on the check subrequest; `always401: true` on the
 * portal is the other documented way, and both must give the same browser experience (logout included).
 */
const VARIANTS = [
  { name: 'the Accept trigger of the recipe', slug: 'nginx', portal: {} },
  { name: 'a portal with always401', slug: 'nginx-always401', portal: { always401: true } },
];

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(VARIANTS)('nginx auth_request in 401 mode with an error_page redirect ($name)', (variant) => {
  let stack: E2EStack | undefined;
  let proxy: RunningProxy | undefined;
  let app: ProxiedApp | undefined;

  beforeAll(async () => {
    const port = await freePort();
    stack = await startE2EStack((issuer) => ({
      server: { domains: [{ domain: 'example.test', authHost: `auth.example.test:${port}` }] },
      cookies: { insecure: true },
      portals: [{ name: 'main', displayName: 'E2E portal', providers: [pocketID(issuer)], ...variant.portal }],
    }));
    proxy = await startNginx(
      'nginx.conf',
      {
        LISTEN: `127.0.0.1:${port}`,
        APP_HOST: 'app.example.test',
        AUTH_HOST: 'auth.example.test',
        AUTH_UPSTREAM: stack.authUpstream,
        PORTAL: 'main',
        APP_UPSTREAM: stack.echo.url,
      },
      port,
    );
    app = {
      appOrigin: `http://app.example.test:${port}`,
      portalUri: `http://auth.example.test:${port}/portals/main`,
      proxyPort: port,
      idpIssuer: stack.idp.issuer,
      echo: stack.echo,
    };
  });

  afterAll(async () => {
    await proxy?.stop();
    await stack?.close();
  });

  proxyBehaviour({
    slug: variant.slug,
    signinStatus: 302,
    browser: () => {
      if (!browser) throw new Error('Chromium did not start');
      return browser;
    },
    app: () => {
      if (!app) throw new Error('the nginx stack did not start');
      return app;
    },
  });
});
