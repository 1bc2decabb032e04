import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { launchChromium } from './harness/browser.js';
import type { ProxiedApp } from './harness/flows.js';
import { freePort } from './harness/processes.js';
import { type RunningProxy, startCaddy } from './harness/proxies.js';
import { proxyBehaviour } from './harness/proxy-suite.js';
import { type E2EStack, pocketID, startE2EStack } from './harness/stack.js';

/** How the auth server is exposed: on its own host name, or under /auth on the app's host. */
interface Mode {
  name: string;
  slug: string;
  recipe: string;
  config(issuer: string, port: number): unknown;
  values(stack: E2EStack, port: number): Record<string, string | number>;
  portalUri(port: number): string;
}

const MODES: Mode[] = [
  {
    name: 'dedicated sub-domain',
    slug: 'caddy-dedicated',
    recipe: 'Caddyfile.dedicated',
    config: (issuer, port) => ({
      server: { domains: [{ domain: 'example.test', authHost: `auth.example.test:${port}` }] },
      cookies: { insecure: true },
      portals: [{ name: 'main', displayName: 'E2E portal', providers: [pocketID(issuer)] }],
    }),
    values: (stack, port) => ({
      APP_SITE: `http://app.example.test:${port}`,
      AUTH_SITE: `http://auth.example.test:${port}`,
      AUTH_UPSTREAM: stack.authUpstream,
      PORTAL: 'main',
      APP_UPSTREAM: stack.echo.url,
    }),
    portalUri: (port) => `http://auth.example.test:${port}/portals/main`,
  },
  {
    name: 'sub-path',
    slug: 'caddy-subpath',
    recipe: 'Caddyfile.subpath',
    config: (issuer, port) => ({
      // The authHost names the port: TFA's own URLs never take it from X-Forwarded-Host (upstream behaviour).
      server: { basePath: '/auth', domains: [{ domain: 'app.example.test', authHost: `app.example.test:${port}` }] },
      cookies: { insecure: true },
      portals: [{ name: 'main', displayName: 'E2E portal', providers: [pocketID(issuer)] }],
    }),
    values: (stack, port) => ({
      APP_SITE: `http://app.example.test:${port}`,
      AUTH_UPSTREAM: stack.authUpstream,
      PORTAL: 'main',
      APP_UPSTREAM: stack.echo.url,
    }),
    portalUri: (port) => `http://app.example.test:${port}/auth/portals/main`,
  },
];

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(MODES)('Caddy forward_auth in $name mode (docs/recipes/$recipe)', (mode) => {
  let stack: E2EStack | undefined;
  let proxy: RunningProxy | undefined;
  let app: ProxiedApp | undefined;

  beforeAll(async () => {
    const port = await freePort();
    stack = await startE2EStack((issuer) => mode.config(issuer, port));
    proxy = await startCaddy(mode.recipe, mode.values(stack, port), port);
    app = {
      appOrigin: `http://app.example.test:${port}`,
      portalUri: mode.portalUri(port),
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
    slug: mode.slug,
    signinStatus: 303,
    browser: () => {
      if (!browser) throw new Error('Chromium did not start');
      return browser;
    },
    app: () => {
      if (!app) throw new Error('the Caddy stack did not start');
      return app;
    },
  });
});
