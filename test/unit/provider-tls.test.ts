import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../dev/local-pki.js';
import { validateCaPem } from '../../shared/config/ca-pem.js';
import { createProviderFetch, providerConnectOptions } from '../../shared/providers/tls.js';

/** An HTTPS echo server on loopback using a certificate from `pki`. */
async function startHttpsEcho(pki: TestPki): Promise<{ url: string; server: Server }> {
  const server = createServer({ cert: pki.serverCertPEM, key: pki.serverKeyPEM }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, body, contentType: req.headers['content-type'] ?? null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}/`, server };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The TLS error code behind a failed fetch (undici wraps it as `cause`). */
async function fetchFailureCode(run: () => Promise<Response>): Promise<string> {
  try {
    await run();
  } catch (err) {
    const cause = err instanceof Error ? err.cause : undefined;
    return cause instanceof Error && 'code' in cause ? String(cause.code) : String(err);
  }
  return 'no error';
}

const CERT_ERROR = /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT|CERT_/;

describe('provider TLS', () => {
  // Created synchronously at collection time because the it.each tables below use them.
  const pki = createTestPki('tfa test CA');
  const otherPki = createTestPki('some other CA');
  let echo: { url: string; server: Server };

  beforeAll(async () => {
    echo = await startHttpsEcho(pki);
  });

  afterAll(async () => {
    await stop(echo.server);
  });

  describe('validateCaPem', () => {
    it('accepts the CA certificate', () => {
      expect(validateCaPem(pki.caPEM)).toBeUndefined();
    });

    it('accepts a bundle of several certificates with text between them', () => {
      expect(validateCaPem(`# corporate roots\n${pki.caPEM}\n# another\n${otherPki.caPEM}`)).toBeUndefined();
    });

    it.each([
      ['garbage', 'not a certificate at all'],
      ['an empty string', ''],
      ['a private key', pki.serverKeyPEM],
      ['a block with broken base64', '-----BEGIN CERTIFICATE-----\nAAAA!!!!\n-----END CERTIFICATE-----\n'],
      ['an unterminated block', `${pki.caPEM}-----BEGIN CERTIFICATE-----\nMIIB\n`],
    ])('rejects %s', (_name, pem) => {
      expect(validateCaPem(pem)).toMatch(/is not a valid PEM certificate/);
    });
  });

  describe('providerConnectOptions', () => {
    it('returns undefined when no TLS option is set', () => {
      expect(providerConnectOptions({ insecureSkipVerify: false })).toBeUndefined();
      expect(createProviderFetch({ insecureSkipVerify: false })).toBeUndefined();
    });

    it('extends the default roots with the custom CA instead of replacing them', () => {
      const options = providerConnectOptions({ insecureSkipVerify: false, caPEM: pki.caPEM });

      expect(options?.rejectUnauthorized).toBe(true);
      const ca = options?.ca ?? [];
      expect(rootCertificates.length).toBeGreaterThan(0);
      for (const root of rootCertificates) expect(ca).toContain(root);
      expect(ca).toContain(pki.caPEM.trim());
      expect(ca).toHaveLength(rootCertificates.length + 1);
    });

    it('lets insecureSkipVerify win over a CA', () => {
      expect(providerConnectOptions({ insecureSkipVerify: true, caPEM: pki.caPEM })).toEqual({
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
      });
    });

    it('requires TLS 1.2 or later, as upstream', () => {
      expect(providerConnectOptions({ insecureSkipVerify: false, caPEM: pki.caPEM })?.minVersion).toBe('TLSv1.2');
    });

    it('throws on an invalid CA PEM instead of silently failing every call later', () => {
      expect(() => createProviderFetch({ insecureSkipVerify: false, caPEM: 'garbage' })).toThrow(
        /is not a valid PEM certificate/,
      );
    });
  });

  describe('createProviderFetch', () => {
    it('rejects the private CA with the default fetch (certificate error)', async () => {
      expect(await fetchFailureCode(() => fetch(echo.url))).toMatch(CERT_ERROR);
    });

    it('trusts the server through the configured CA', async () => {
      const providerFetch = createProviderFetch({ insecureSkipVerify: false, caPEM: pki.caPEM });
      if (!providerFetch) throw new Error('expected a provider fetch');

      const res = await providerFetch(echo.url);

      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ method: 'GET' });
    });

    it('rejects a server signed by a different CA', async () => {
      const providerFetch = createProviderFetch({ insecureSkipVerify: false, caPEM: otherPki.caPEM });
      if (!providerFetch) throw new Error('expected a provider fetch');

      expect(await fetchFailureCode(() => providerFetch(echo.url))).toMatch(CERT_ERROR);
    });

    it('skips verification with insecureSkipVerify', async () => {
      const providerFetch = createProviderFetch({ insecureSkipVerify: true });
      if (!providerFetch) throw new Error('expected a provider fetch');

      const res = await providerFetch(echo.url);

      expect(res.status).toBe(200);
    });

    it('sends form bodies the way openid-client calls it (url string + init)', async () => {
      const providerFetch = createProviderFetch({ insecureSkipVerify: false, caPEM: pki.caPEM });
      if (!providerFetch) throw new Error('expected a provider fetch');

      const res = await providerFetch(`${echo.url}token`, {
        method: 'POST',
        headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded' }),
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c' }),
        redirect: 'manual',
      });

      expect(await res.json()).toEqual({
        method: 'POST',
        body: 'grant_type=authorization_code&code=c',
        contentType: 'application/x-www-form-urlencoded',
      });
    });

    it('accepts a global Request as input', async () => {
      const providerFetch = createProviderFetch({ insecureSkipVerify: false, caPEM: pki.caPEM });
      if (!providerFetch) throw new Error('expected a provider fetch');

      const res = await providerFetch(
        new Request(echo.url, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } }),
      );

      expect(await res.json()).toEqual({ method: 'POST', body: 'hello', contentType: 'text/plain' });
    });
  });
});
