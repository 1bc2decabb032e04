import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deployment, startDeployment } from '../../lambda/helpers/deployment.js';
import { launchChromium } from './browser.js';
import type { ProxiedApp } from './flows.js';
import { freePort } from './processes.js';
import type { RunningProxy } from './proxies.js';
import { proxyBehaviour } from './proxy-suite.js';
import { E2E_USERS } from './stack.js';
import { startTraefik, traefikBinaries } from './traefik.js';
import { traefikBehaviour } from './traefik-suite.js';
import { type EchoApp, startEchoApp } from './upstream.js';

/**
 * Real Traefik in front of the built Lambda bundles behind the local AWS front doors (dev/aws-local.ts): the check
 * goes to the Function-URL-like HTTPS listener, the pages to the HTTP-API-like one (directly from the browser on the
 * custom domain in dedicated mode, through a Traefik router with `passHostHeader: false` in sub-path mode). Traefik
 * trusts the front doors' test CA through Go's `SSL_CERT_FILE`, so the recipes run unchanged.
 *
 * One mode per test file: the bundles read their config once per process, as a Lambda container does.
 */
export function traefikLambdaSuite(mode: 'dedicated' | 'subpath'): void {
  const binaries = traefikBinaries();
  let browser: Browser | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  let deployment: Deployment | undefined;
  let echo: EchoApp | undefined;
  const traefikPort: Record<string, number> = {};
  let caDir: string | undefined;

  beforeAll(async () => {
    const apiPort = await freePort();
    for (const b of binaries) traefikPort[b.version] = await freePort();
    // Each Traefik version gets its own port, hence its own app origin; the config lists every one as a domain.
    const ports = Object.values(traefikPort);
    deployment = await startDeployment({
      apiPort,
      users: E2E_USERS,
      rawConfig: (issuer) => ({
        server:
          mode === 'dedicated'
            ? { domains: [{ domain: 'example.test', authHost: `auth.example.test:${apiPort}` }] }
            : {
                basePath: '/auth',
                domains: [{ domain: 'app.example.test', authHost: `app.example.test:${ports[0]}` }],
              },
        // Across functions a logout shows at once only without the verify function's per-container cache (on AWS:
        // within sessions.verifyCacheTTL, 10 s by default).
        sessions: { verifyCacheTTL: '0s' },
        logs: { level: 'error' },
        portals: [
          {
            name: 'main',
            displayName: 'E2E portal',
            providers: [{ pocketID: { endpoint: issuer, clientID: 'tfa-lambda' } }],
          },
        ],
      }),
    });
    echo = await startEchoApp();
    caDir = mkdtempSync(join(tmpdir(), 'tfa-e2e-ca-'));
    writeFileSync(join(caDir, 'ca.pem'), deployment.pki.caPEM);
  });

  afterAll(async () => {
    await echo?.close();
    await deployment?.close();
    if (caDir) rmSync(caDir, { recursive: true, force: true });
  });

  const getBrowser = () => {
    if (!browser) throw new Error('Chromium did not start');
    return browser;
  };

  // Sub-path mode names the Traefik port in authHost, so only the first binary fits that config.
  const bins = mode === 'dedicated' ? binaries : binaries.slice(0, 1);
  describe.each(bins.map((bin) => ({ bin, v: bin.version })))(
    `Traefik $v forwardAuth → Lambda bundles behind the local Function URL and HTTP API, ${mode === 'dedicated' ? 'dedicated sub-domain' : 'sub-path'} mode`,
    ({ bin }) => {
      let proxy: RunningProxy | undefined;
      let app: ProxiedApp | undefined;

      beforeAll(async () => {
        if (!deployment || !echo || !caDir) throw new Error('the deployment did not start');
        const port = traefikPort[bin.version] ?? 0;
        const aws = deployment.aws;
        const values: Record<string, string> =
          mode === 'dedicated'
            ? {
                APP_HOST: 'app.example.test',
                AUTH_HOST: 'auth.example.test',
                AUTH_ADDRESS: aws.functionUrl.url,
                PORTAL: 'main',
                AUTH_UPSTREAM: aws.httpApi.url,
                APP_UPSTREAM: echo.url,
              }
            : {
                APP_HOST: 'app.example.test',
                AUTH_ADDRESS: aws.functionUrl.url,
                PORTAL: 'main',
                PAGES_UPSTREAM: aws.httpApi.url,
                APP_UPSTREAM: echo.url,
              };
        proxy = await startTraefik(bin, {
          port,
          trustedIPs: '',
          recipe: `traefik.${mode}.yml`,
          values,
          routedHost: 'app.example.test',
          env: { SSL_CERT_FILE: join(caDir, 'ca.pem') },
        });
        app = {
          appOrigin: `https://app.example.test:${port}`,
          portalUri:
            mode === 'dedicated'
              ? `https://auth.example.test:${aws.httpApi.port}/portals/main`
              : `https://app.example.test:${port}/auth/portals/main`,
          proxyPort: port,
          idpIssuer: deployment.idp.issuer,
          echo,
        };
      });

      afterAll(async () => {
        await proxy?.stop();
      });

      const getApp = () => {
        if (!app) throw new Error('the Traefik stack did not start');
        return app;
      };
      proxyBehaviour({
        slug: `traefik${bin.major}-lambda-${mode}`,
        signinStatus: 303,
        browser: getBrowser,
        app: getApp,
      });
      traefikBehaviour({ slug: `traefik${bin.major}-lambda-${mode}`, browser: getBrowser, app: getApp });

      it('reaches verify only through the Function URL, with the front door’s own host and the app host in X-Forwarded-Host', () => {
        // Assess: what the verify function received from the front door, for Traefik's checks.
        const checks = deployment?.aws.functionUrl.invocations.map((i) => i.event) ?? [];
        expect(checks.length).toBeGreaterThan(0);
        for (const e of checks) {
          expect(e.headers.host).toBe(deployment?.aws.functionUrlHost);
          expect(e.requestContext.domainName).toBe(deployment?.aws.functionUrlHost);
          expect(e.headers['x-forwarded-host']).toMatch(/^app\.example\.test(:\d+)?$/);
          expect(e.headers['x-forwarded-proto']).toBe('https');
          expect(e.headers.cookie).toBeUndefined();
          expect(e.headers['x-forwarded-method']).toMatch(/^[A-Z]+$/);
        }
        // Traefik sends the address's path and query as written: the condition arrives URL-encoded, and decoded.
        const admin = checks.find((e) => e.rawQueryString !== '');
        expect(admin?.rawQueryString).toBe('if=Group%28%22admins%22%29');
        expect(admin?.queryStringParameters).toEqual({ if: 'Group("admins")' });
        expect(admin?.headers['x-forwarded-uri']).toMatch(/^\/admin\//);
      });
    },
  );
}
