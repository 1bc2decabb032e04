import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProviders } from '../../bin/check.js';
import { type DevIdp, startDevIdp } from '../../dev/idp.js';
import { validateConfig } from '../../shared/config/load.js';
import { FakeGitHub } from '../helpers/fakes/github.js';
import { FakeGoogle } from '../helpers/fakes/google.js';
import { routeNetwork } from '../helpers/fakes/oauth-server.js';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const secret = { clientID: 'c', clientSecret: 's' };

describe('npm start -- --check', () => {
  let idp: DevIdp;
  const google = new FakeGoogle();
  const github = new FakeGitHub();
  const dir = mkdtempSync(join(tmpdir(), 'tfa-check-'));

  beforeAll(async () => {
    idp = await startDevIdp({ clients: [{ clientId: 'c', clientSecret: 's' }], allowRedirect: () => true });
    await google.start();
    await github.start();
  });
  afterAll(async () => {
    await idp.close();
    await google.stop();
    await github.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(providers: unknown[]) {
    const { config } = validateConfig({ portals: [{ name: 'main', providers }] });
    const lines: string[] = [];
    const net = routeNetwork({ ...google.routes(), ...github.routes() });
    const ok = await checkProviders(config, {
      write: (l) => lines.push(l),
      // Loopback providers go to the network; Google's and GitHub's public URLs to their fakes.
      providerFetch: (input, init) =>
        String(input instanceof Request ? input.url : input).startsWith('http://127.0.0.1')
          ? fetch(input, init)
          : net.fetch(input, init),
    });
    return { ok, lines };
  }

  it('prints OK with the discovery document and JWKS it fetched, for Pocket ID, OIDC, Google and GitHub', async () => {
    const { ok, lines } = await run([
      { pocketID: { endpoint: idp.issuer, ...secret } },
      { openIDConnect: { tokenIssuer: idp.issuer, ...secret } },
      { google: secret },
      { github: secret },
    ]);

    expect(ok).toBe(true);
    expect(lines).toEqual([
      `OK    main/pocketid (Pocket ID): discovery ${idp.issuer}/.well-known/openid-configuration, JWKS ${idp.issuer}/.well-known/jwks.json (1 key)`,
      expect.stringMatching(
        new RegExp(
          `^OK    main/openidconnect \\(OpenID Connect\\): discovery ${idp.issuer}/.well-known/openid-configuration, JWKS .+ \\(1 key\\)$`,
        ),
      ),
      'OK    main/google (Google): discovery https://accounts.google.com/.well-known/openid-configuration, JWKS https://www.googleapis.com/oauth2/v3/certs (1 key)',
      'OK    main/github (GitHub): https://api.github.com/ answers (plain OAuth 2.0: no discovery document or JWKS)',
      'All 4 providers OK',
    ]);
  });

  it('prints FAIL naming the unreachable provider, and the others still OK', async () => {
    const port = await closedPort();
    const { ok, lines } = await run([
      { pocketID: { endpoint: idp.issuer, ...secret } },
      { openIDConnect: { tokenIssuer: `http://127.0.0.1:${port}`, ...secret } },
    ]);

    expect(ok).toBe(false);
    expect(lines[0]).toMatch(/^OK {4}main\/pocketid /);
    expect(lines[1]).toMatch(
      new RegExp(`^FAIL  main/openidconnect \\(OpenID Connect\\): discovery of 'http://127.0.0.1:${port}' .*failed`),
    );
    expect(lines[2]).toBe('1 of 2 providers failed');
  });

  it('prints FAIL when the JWKS is missing', async () => {
    const { ok, lines } = await run([{ pocketID: { endpoint: `${idp.issuer}/nowhere`, ...secret } }]);
    expect(ok).toBe(false);
    expect(lines[0]).toBe(
      `FAIL  main/pocketid (Pocket ID): ${idp.issuer}/nowhere/.well-known/openid-configuration: HTTP 404`,
    );
  });

  function cli(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'bin/server.ts', '--check', '--config', file],
        { env: { ...process.env, TFA_CONFIG: '' } },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  it('exits 0 after checking a good config from the command line, and 1 when a provider fails', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      `portals:\n  - name: main\n    providers:\n      - pocketID: {endpoint: "${idp.issuer}", clientID: c, clientSecret: s}\n`,
    );
    const bad = join(dir, 'bad.yaml');
    const port = await closedPort();
    writeFileSync(
      bad,
      `portals:\n  - name: main\n    providers:\n      - pocketID: {endpoint: "http://127.0.0.1:${port}", clientID: c, clientSecret: s}\n`,
    );

    const [okRun, badRun] = await Promise.all([cli(good), cli(bad)]);

    expect(okRun).toMatchObject({ code: 0, stderr: '' });
    expect(okRun.stdout).toContain(`Configuration OK: ${good}`);
    expect(okRun.stdout).toContain('All 1 provider OK');
    expect(badRun.code).toBe(1);
    expect(badRun.stdout).toMatch(
      /FAIL {2}main\/pocketid \(Pocket ID\): http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration: unreachable \(ECONNREFUSED\)/,
    );
  });

  it('exits 1 with the config errors and checks nothing when the config is invalid', async () => {
    const file = join(dir, 'invalid.yaml');
    writeFileSync(
      file,
      'portals:\n  - name: main\n    providers:\n      - pocketID: {endpoint: "http://id.example.com", clientID: c, clientSecert: s}\n',
    );

    const out = await cli(file);

    expect(out.code).toBe(1);
    expect(out.stderr).toContain("clientSecert: unknown key — did you mean 'clientSecret'?");
    expect(out.stderr).toContain('endpoint: must use https');
    expect(out.stdout).not.toContain('OK');
  });
});
