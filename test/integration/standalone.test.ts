import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startStandalone } from '../../bin/standalone.js';
import { createTestPki } from '../../dev/local-pki.js';
import { ConfigError } from '../../shared/config/errors.js';
import { validateConfig } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log.js';
import { catchErrorAsync } from '../helpers/catch-error.js';

const providers = [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecret: 'y' } }];
const quiet = () => createLogger({ level: 'error', json: true, write: () => {} });

describe('standalone server', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('serves HTTPS with server.tlsCertPEM/tlsKeyPEM, TLS 1.2 or later', async () => {
    const pki = createTestPki();
    const { config } = validateConfig({
      server: { tlsCertPEM: pki.serverCertPEM, tlsKeyPEM: pki.serverKeyPEM },
      portals: [{ name: 'main', providers }],
    });
    const server = await startStandalone({ config, port: 0, bind: '127.0.0.1', log: quiet() });
    try {
      const dispatcher = new Agent({ connect: { ca: pki.caPEM } });
      const res = await undiciFetch(`${server.url}/healthz`, { dispatcher });
      const old = await catchErrorAsync(
        () =>
          undiciFetch(`${server.url}/healthz`, {
            dispatcher: new Agent({ connect: { ca: pki.caPEM, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' } }),
          }),
        Error,
      );

      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(res.status).toBe(204);
      expect(old).toBeInstanceOf(Error);
    } finally {
      await server.close();
    }
  });

  it('serves HTTPS from tls-cert.pem and tls-key.pem in server.tlsPath', async () => {
    const pki = createTestPki();
    const dir = mkdtempSync(join(tmpdir(), 'tfa-tls-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tls-cert.pem'), pki.serverCertPEM);
    writeFileSync(join(dir, 'tls-key.pem'), pki.serverKeyPEM);
    const { config } = validateConfig({ server: { tlsPath: dir }, portals: [{ name: 'main', providers }] });
    const server = await startStandalone({ config, port: 0, bind: '127.0.0.1', log: quiet() });
    try {
      const res = await undiciFetch(`${server.url}/healthz`, { dispatcher: new Agent({ connect: { ca: pki.caPEM } }) });
      expect(res.status).toBe(204);
    } finally {
      await server.close();
    }
  });

  it('refuses to start when an explicit server.tlsPath lacks its files, naming the key and the file', async () => {
    // Prepare: the key is there, the certificate is not.
    const dir = mkdtempSync(join(tmpdir(), 'tfa-tls-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tls-key.pem'), 'not used');
    const { config } = validateConfig({ server: { tlsPath: dir }, portals: [{ name: 'main', providers }] });

    // Act
    const err = await startStandalone({ config, port: 0, bind: '127.0.0.1', log: quiet() }).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([
      {
        path: 'server.tlsPath',
        message: `cannot read the TLS certificate or key (${join(dir, 'tls-cert.pem')}: ENOENT)`,
      },
    ]);
  });

  it('serves plain HTTP when the default TLS folder (the config file’s) has no certificate, and says so', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'tfa-conf-'));
    dirs.push(dir);
    const { config } = validateConfig({ portals: [{ name: 'main', providers }] });
    const lines: string[] = [];
    const log = createLogger({ level: 'info', json: true, write: (l) => lines.push(l) });

    // Act
    const server = await startStandalone({ config, configDir: dir, port: 0, bind: '127.0.0.1', log });
    await server.close();

    // Assess
    expect(server.url).toMatch(/^http:\/\//);
    const off = lines.map((l) => JSON.parse(l)).filter((l) => l.msg.startsWith('TLS is off'));
    expect(off).toEqual([
      expect.objectContaining({
        level: 'INFO',
        msg: 'TLS is off: serving plain HTTP (set server.tlsPath, or tlsCertPEM and tlsKeyPEM, for HTTPS)',
        searched: dir,
      }),
    ]);
  });

  it('logs, for each provider, the exact callback URLs to register at it', async () => {
    const { config } = validateConfig({
      server: {
        domains: [
          { domain: 'example.com', authHost: 'auth.example.com' },
          { domain: 'example.org', authPort: 8443 },
        ],
        basePath: '/auth',
      },
      defaultPortal: 'main',
      portals: [
        { name: 'main', providers },
        { name: 'ops', providers: [{ google: { clientID: 'g', clientSecret: 's' } }] },
      ],
    });
    const lines: string[] = [];
    const log = createLogger({ level: 'info', json: true, write: (l) => lines.push(l) });
    const server = await startStandalone({ config, port: 0, bind: '127.0.0.1', log });
    await server.close();

    const registered = lines
      .map((l) => JSON.parse(l) as Record<string, string>)
      .filter((l) => l.msg?.startsWith('Register this callback URL'))
      .map((l) => `${l.msg} ${l.portal}/${l.provider}: ${l.url}`);
    expect(registered).toEqual([
      'Register this callback URL at Pocket ID main/pocketid: https://auth.example.com/auth/portals/main/oauth2/callback',
      'Register this callback URL at Pocket ID main/pocketid: https://auth.example.com/auth/oauth2/callback',
      'Register this callback URL at Pocket ID main/pocketid: https://example.org:8443/auth/portals/main/oauth2/callback',
      'Register this callback URL at Pocket ID main/pocketid: https://example.org:8443/auth/oauth2/callback',
      'Register this callback URL at Google ops/google: https://auth.example.com/auth/portals/ops/oauth2/callback',
      'Register this callback URL at Google ops/google: https://example.org:8443/auth/portals/ops/oauth2/callback',
    ]);
    // Google has no end-session endpoint: only Pocket ID gets post-logout URLs.
    const postLogout = lines
      .map((l) => JSON.parse(l) as Record<string, string>)
      .filter((l) => l.msg?.startsWith('Register this post-logout redirect URL'))
      .map((l) => `${l.portal}/${l.provider}: ${l.url}`);
    expect(postLogout).toEqual([
      'main/pocketid: https://auth.example.com/auth/portals/main/logged-out',
      'main/pocketid: https://auth.example.com/auth/logged-out',
      'main/pocketid: https://example.org:8443/auth/portals/main/logged-out',
      'main/pocketid: https://example.org:8443/auth/logged-out',
    ]);
  });

  it('answers 404 page not found for unknown routes and keeps X-Request-Id from the trusted header', async () => {
    const { config } = validateConfig({
      server: { trustedRequestIdHeader: 'X-Trace' },
      portals: [{ name: 'main', providers }],
    });
    const server = await startStandalone({ config, port: 0, bind: '127.0.0.1', log: quiet() });
    try {
      const res = await fetch(`${server.url}/nope`, { headers: { 'X-Trace': 'trace-123' } });
      const generated = await fetch(`${server.url}/nope`);

      expect(res.status).toBe(404);
      expect(await res.text()).toBe('404 page not found');
      expect(res.headers.get('x-request-id')).toBe('trace-123');
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await server.close();
    }
  });

  it('rejects a TFA_CONFIG pointing at a missing file with a clear error, via the CLI', async () => {
    const { execFile } = await import('node:child_process');
    const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = execFile(
        process.execPath,
        ['--import', 'tsx', 'bin/server.ts'],
        {
          env: { ...process.env, TFA_CONFIG: '/nonexistent/tfa-config.yaml' },
        },
        (err, _stdout, stderr) => resolve({ code: err ? (p.exitCode ?? 1) : 0, stderr }),
      );
    });

    expect(out.code).toBe(1);
    expect(out.stderr).toContain("TFA_CONFIG points at '/nonexistent/tfa-config.yaml', which does not exist");
  });

  it('reports every config problem at once from the CLI, naming keys and values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfa-cfg-'));
    dirs.push(dir);
    const file = join(dir, 'tfa-config.yaml');
    writeFileSync(
      file,
      [
        'server:',
        '  port: 4181',
        '  colour: blue',
        'tokens:',
        '  sessionLifetime: forever',
        'portals:',
        '  - name: main',
        '    providers:',
        '      - pocketID:',
        '          endpoint: http://id.example.com',
        '          clientID: x',
        '          clientSecret: super-secret-value',
      ].join('\n'),
    );
    const { execFile } = await import('node:child_process');
    const out = await new Promise<{ stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'bin/server.ts', '--config', file], (_e, _o, stderr) =>
        resolve({ stderr }),
      );
    });

    expect(out.stderr).toContain("server: unknown key 'colour'");
    expect(out.stderr).toContain(
      'tokens.sessionLifetime: must be a duration such as "30s", "5m" or "2h" (got "forever")',
    );
    expect(out.stderr).toContain('portals[0].providers[0].pocketID.endpoint: must use https');
    expect(out.stderr).toContain('(3 errors)');
    expect(out.stderr).not.toContain('super-secret-value');
  });
});
