import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Runs `npm start`'s entry point with `args`, and with no config file to be found (the demo). */
function start(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { TFA_CONFIG: _ignored, ...env } = process.env;
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bin/server.ts', '--demo', ...args],
      { env: { ...env, HOME: '/nonexistent' }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('npm start: ports from flags', () => {
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => busy.close(() => r())));

  it.each([
    { flag: '--port', what: 'the auth server' },
    { flag: '--demo-idp-port', what: 'the demo identity provider' },
    { flag: '--demo-app-port', what: 'the demo app' },
  ])('says in one line that the $flag port is in use, without a stack trace, and exits 1', async ({ flag, what }) => {
    const others = ['--port', `${await freePort()}`, '--demo-idp-port', '0', '--demo-app-port', '0'];
    const i = others.indexOf(flag);
    others[i + 1] = String(busyPort);

    const out = await start(others);

    expect(out.code).toBe(1);
    // oidc-provider (the demo's IdP) warns about itself on stderr; everything else is the one line.
    expect(
      out.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('oidc-provider WARNING')),
    ).toEqual([`Port ${busyPort} for ${what} is already in use: stop what holds it, or choose another with ${flag}`]);
  });

  it('rejects a port flag that is not a port', async () => {
    const out = await start(['--demo-app-port', 'http']);
    expect(out.code).toBe(1);
    expect(out.stderr.trim().split('\n')).toEqual(["--demo-app-port: 'http' is not a port (0-65535)"]);
  });
});

describe('npm start without a config file, not from a terminal', () => {
  it('exits 1 naming the paths it searched instead of starting the demo', async () => {
    // Prepare: an empty working directory and HOME, no TFA_CONFIG, no --demo; execFile gives no TTY.
    const cwd = mkdtempSync(join(tmpdir(), 'tfa-cli-'));
    const { TFA_CONFIG: _ignored, ...env } = process.env;

    // Act
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          '--import',
          pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href,
          join(process.cwd(), 'bin/server.ts'),
        ],
        { cwd, env: { ...env, HOME: cwd }, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    rmSync(cwd, { recursive: true, force: true });

    // Assess
    expect(out.code).toBe(1);
    expect(out.stdout).not.toContain('DEMO MODE');
    expect(out.stderr.trim()).toBe(
      `No config file found (looked for TFA_CONFIG, then ${join(cwd, 'tfa-config.yaml')}, ${join(cwd, 'config.yaml')}, ` +
        `${join(cwd, '.traefik-forward-auth', 'config.yaml')}, /etc/traefik-forward-auth/config.yaml, ` +
        `${join(cwd, 'tfa-config.yml')}, ${join(cwd, 'config.yml')}, ${join(cwd, '.traefik-forward-auth', 'config.yml')}, ` +
        '/etc/traefik-forward-auth/config.yml). The demo starts on its own only interactively and outside production ' +
        '(not run from a terminal): pass --config <file>, or --demo to run the demo anyway.',
    );
  });

  it('refuses --demo with a --bind beyond loopback', async () => {
    // Act
    const out = await start(['--bind', '0.0.0.0', '--port', `${await freePort()}`]);

    // Assess
    expect(out.code).toBe(1);
    expect(out.stderr.trim().split('\n').at(-1)).toBe(
      '--bind 0.0.0.0: the demo accepts any user name and password, so it listens on loopback only (127.0.0.1 or ::1)',
    );
  });
});
