/**
 * `server.tlsClientAuth` on the standalone server, as upstream: every client is asked for a certificate signed by the
 * configured CA; one that does not verify ends the connection; the forward-auth check (on both of its paths, fast and
 * core) answers 401 without one, while the browser-facing routes work without. Certificates are made at test time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Standalone, startStandalone } from '../../bin/standalone.js';
import { createTestPki, type TestPki } from '../../dev/local-pki.js';
import { ConfigError } from '../../shared/config/errors.js';
import { validateConfig } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log.js';
import { catchErrorAsync } from '../helpers/catch-error.js';

const providers = [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecret: 'y' } }];
const FWD = { 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Uri': '/page' };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One GET over HTTPS, trusting the test CA, with the client certificate `client` (none when undefined). */
function get(
  url: string,
  pki: TestPki,
  client: { cert: string; key: string } | undefined,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: pki.caPEM, ...client, headers, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('server.tlsClientAuth', () => {
  let pki: TestPki;
  let stranger: TestPki;
  let server: Standalone;
  let token: string;
  const lines: string[] = [];

  beforeAll(async () => {
    pki = createTestPki('tfa mTLS test CA');
    stranger = createTestPki('some other CA');
    const { config } = validateConfig({
      server: {
        domains: [{ domain: 'example.com', authHost: 'auth.example.com' }],
        tlsCertPEM: pki.serverCertPEM,
        tlsKeyPEM: pki.serverKeyPEM,
        tlsCAPEM: pki.caPEM,
        tlsClientAuth: true,
      },
      portals: [{ name: 'main', providers }],
    });
    const log = createLogger({ level: 'warn', json: true, write: (l) => lines.push(l) });
    server = await startStandalone({ config, port: 0, bind: '127.0.0.1', log });
    const now = Date.now();
    token = await server.sessions.create({
      portal: 'main',
      provider: 'pocketid',
      profile: { id: 'alice', name: { full: 'Alice' } },
      createdAt: now,
      expiresAt: now + 3_600_000,
    });
  }, 30_000);

  afterAll(async () => {
    await server?.close();
  });

  const proxy = () => ({ cert: pki.clientCertPEM, key: pki.clientKeyPEM });

  it('answers a signed-in check from the proxy holding a certificate of the CA with 200 and the identity', async () => {
    // Act
    const res = await get(`${server.url}/portals/main`, pki, proxy(), { ...FWD, Cookie: `tf_sess_main=${token}` });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['x-forwarded-user']).toBe('alice');
    expect(res.body).toBe("You are authenticated with provider 'Pocket ID' as 'Alice' ('alice')");
  });

  it('lets a certified proxy through to the usual answer when there is no session (401 for a non-browser)', async () => {
    // Act
    const res = await get(`${server.url}/portals/main/`, pki, proxy(), { ...FWD, Accept: 'application/json' });

    // Assess
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'Not authenticated' });
  });

  it.each([
    [
      '/portals/main',
      'a valid session (the fast path steps aside)',
      () => ({ ...FWD, Cookie: `tf_sess_main=${token}` }),
    ],
    ['/portals/main/', 'a valid session, root with a slash', () => ({ ...FWD, Cookie: `tf_sess_main=${token}` })],
    ['/portals/main', 'no session', () => FWD],
  ])(
    'refuses the check %s with %s but no client certificate: 401 Client certificate not provided',
    async (path, _, headers) => {
      // Act
      const res = await get(`${server.url}${path}`, pki, undefined, headers());

      // Assess
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.body).toBe('Error: Client certificate not provided');
      expect(res.headers['x-forwarded-user']).toBeUndefined();
    },
  );

  it('serves the browser-facing routes without a client certificate', async () => {
    // Act
    const health = await get(`${server.url}/healthz`, pki, undefined);
    const signin = await get(`${server.url}/portals/main/signin`, pki, undefined, { ...FWD, Accept: 'text/html' });

    // Assess
    expect(health.status).toBe(204);
    expect(signin.status).not.toBe(401);
    expect(signin.body).not.toContain('Client certificate');
  });

  it('ends the connection of a client whose certificate another CA signed, and logs why', async () => {
    // Act
    const err = await get(
      `${server.url}/portals/main`,
      pki,
      { cert: stranger.clientCertPEM, key: stranger.clientKeyPEM },
      {
        ...FWD,
        Cookie: `tf_sess_main=${token}`,
      },
    ).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(Error);
    expect((err as NodeJS.ErrnoException).code).toMatch(/^(ECONNRESET|EPIPE)$/);
    const refused = lines.map((l) => JSON.parse(l)).find((l) => l.msg?.startsWith('Refused a client certificate'));
    expect(refused).toMatchObject({ level: 'WARN', reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});

describe('server.tlsClientAuth at start', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const quiet = createLogger({ level: 'error', json: true, write: () => {} });
  const tlsDir = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'tfa-mtls-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  const start = (server: Record<string, unknown>) =>
    startStandalone({
      config: validateConfig({ server: { tlsClientAuth: true, ...server }, portals: [{ name: 'main', providers }] })
        .config,
      port: 0,
      bind: '127.0.0.1',
      log: quiet,
    });

  it('reads the CA from tls-ca.pem in server.tlsPath', async () => {
    // Prepare
    const pki = createTestPki();
    const dir = tlsDir({ 'tls-cert.pem': pki.serverCertPEM, 'tls-key.pem': pki.serverKeyPEM, 'tls-ca.pem': pki.caPEM });

    // Act
    const server = await start({ tlsPath: dir });
    try {
      const without = await get(`${server.url}/portals/main`, pki, undefined, FWD);
      const withCert = await get(
        `${server.url}/portals/main`,
        pki,
        { cert: pki.clientCertPEM, key: pki.clientKeyPEM },
        {
          ...FWD,
          Accept: 'application/json',
        },
      );

      // Assess
      expect(without.status).toBe(401);
      expect(without.body).toBe('Error: Client certificate not provided');
      expect(withCert.status).toBe(401);
      expect(JSON.parse(withCert.body)).toMatchObject({ error: 'Not authenticated' });
    } finally {
      await server.close();
    }
  });

  it('refuses to start without tls-ca.pem nor tlsCAPEM, naming the key and the file', async () => {
    // Prepare
    const pki = createTestPki();
    const dir = tlsDir({ 'tls-cert.pem': pki.serverCertPEM, 'tls-key.pem': pki.serverKeyPEM });

    // Act
    const err = await catchErrorAsync(() => start({ tlsPath: dir }), ConfigError);

    // Assess
    expect(err.issues).toEqual([
      {
        path: 'server.tlsClientAuth',
        message: `needs the CA of the client certificates: set server.tlsCAPEM, or put tls-ca.pem in ${dir} (cannot read ${join(dir, 'tls-ca.pem')}: ENOENT)`,
      },
    ]);
  });

  it('refuses to start with a tls-ca.pem that is not a certificate', async () => {
    // Prepare
    const pki = createTestPki();
    const dir = tlsDir({ 'tls-cert.pem': pki.serverCertPEM, 'tls-key.pem': pki.serverKeyPEM, 'tls-ca.pem': 'junk' });

    // Act
    const err = await catchErrorAsync(() => start({ tlsPath: dir }), ConfigError);

    // Assess
    expect(err.issues).toEqual([
      {
        path: 'server.tlsClientAuth',
        message: `${join(dir, 'tls-ca.pem')} is not a valid PEM certificate: no BEGIN CERTIFICATE block`,
      },
    ]);
  });

  it('refuses to start over plain HTTP, where no client certificate can be asked for', async () => {
    // Prepare
    const pki = createTestPki();

    // Act
    const err = await catchErrorAsync(() => start({ tlsCAPEM: pki.caPEM }), ConfigError);

    // Assess
    expect(err.issues).toEqual([
      {
        path: 'server.tlsClientAuth',
        message:
          'needs the server to serve HTTPS: set server.tlsCertPEM and server.tlsKeyPEM, or put tls-cert.pem and tls-key.pem in server.tlsPath',
      },
    ]);
  });
});
