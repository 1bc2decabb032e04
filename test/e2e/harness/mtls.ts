/**
 * What the `server.tlsClientAuth` e2e files share, whatever the proxy: the certificate files the recipes read, the
 * standalone server's config, and the cases every proxy must pass (a browser signs in through the proxy's
 * certificate; an API client gets the server's own 401; without the certificate, the server's mTLS 401).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import type { TestPki } from '../../../dev/local-pki.js';
import { echoedOnPage, openPage } from './browser.js';
import { type ProxiedApp, rawGet, signInThroughProxy } from './flows.js';
import { pocketID, startE2EStack } from './stack.js';

export interface MtlsFiles {
  dir: string;
  serverCa: string;
  clientCert: string;
  clientKey: string;
  remove(): void;
}

/** Writes the CA the proxy trusts and the client certificate it presents into a new temporary directory. */
export function writeMtlsFiles(pki: TestPki, prefix: string): MtlsFiles {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files = {
    dir,
    serverCa: join(dir, 'server-ca.pem'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  writeFileSync(files.serverCa, pki.caPEM);
  writeFileSync(files.clientCert, pki.clientCertPEM);
  writeFileSync(files.clientKey, pki.clientKeyPEM);
  return files;
}

/** The standalone server over HTTPS with `tlsClientAuth`, its auth host behind the proxy on `port`. */
export function startMtlsStack(pki: TestPki, port: number, extra: { cookies?: { insecure: boolean } } = {}) {
  return startE2EStack((issuer) => ({
    server: {
      domains: [{ domain: 'example.test', authHost: `auth.example.test:${port}` }],
      tlsCertPEM: pki.serverCertPEM,
      tlsKeyPEM: pki.serverKeyPEM,
      tlsCAPEM: pki.caPEM,
      tlsClientAuth: true,
    },
    ...extra,
    portals: [{ name: 'main', displayName: 'E2E portal', providers: [pocketID(issuer)] }],
  }));
}

/**
 * Registers the cases every proxy must pass. `started` gives the proxied app and browser once the suite's
 * `beforeAll` ran; `withoutCertificate` starts the same recipe with the client certificate lines removed.
 */
export function mtlsCases(
  started: () => { app: ProxiedApp | undefined; browser: Browser | undefined },
  withoutCertificate: { what: string; start: () => Promise<ProxiedApp> },
): void {
  it('signs a browser in and hands the app the identity, the check made with the client certificate', async () => {
    // Prepare
    const { app, browser } = started();
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
    const { app } = started();
    if (!app) throw new Error('the stack did not start');
    const res = await rawGet(app, '/api/data', { Accept: 'application/json' });

    // Assess
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'Not authenticated' });
  });

  it(`gets 401 Client certificate not provided when ${withoutCertificate.what} presents no certificate`, async () => {
    // Prepare
    const bare = await withoutCertificate.start();

    // Act
    const res = await rawGet(bare, '/api/data', { Accept: 'application/json' });

    // Assess
    expect(res.status).toBe(401);
    expect(res.body).toBe('Error: Client certificate not provided');
  });
}
