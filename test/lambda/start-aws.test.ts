/**
 * `npm run start:aws` as a user runs it: a child process serving the built bundles behind the local front doors,
 * with its own throwaway CA, answering Traefik-style checks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrontDoor } from '../../dev/aws-front-door.js';
import { doorRequest } from './helpers/front-door-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = `server:
  domains:
    - domain: example.com
      authHost: auth.example.com
portals:
  - name: main
    providers:
      - pocketID:
          endpoint: https://id.example.com
          clientID: abc
          clientSecretEnv: POCKET_SECRET
`;

let dir: string;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tfa-start-aws-test-'));
  writeFileSync(join(dir, 'tfa-config.yaml'), CONFIG);
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bin/aws.ts',
      '-c',
      join(dir, 'tfa-config.yaml'),
      '--verify-port',
      '0',
      '--api-port',
      '0',
      '--data-dir',
      join(dir, 'data'),
    ],
    { cwd: ROOT, env: { ...process.env, POCKET_SECRET: 'local-secret' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  const deadline = Date.now() + 25_000;
  while (!output.includes('Ctrl-C stops.')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`start:aws did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A FrontDoor handle for a listener the child printed (only `port` is used by the client). */
function listener(label: string): FrontDoor {
  const port = Number(new RegExp(`${label}\\s+https://localhost:(\\d+)`).exec(output)?.[1]);
  return { url: `https://localhost:${port}`, port, invocations: [], close: async () => {} };
}

describe('npm run start:aws', () => {
  it('prints the forwardAuth address, warns that cdk synth refuses clientSecretEnv, and writes its CA', () => {
    expect(output).toMatch(/https:\/\/localhost:\d+\/portals\/main/);
    expect(output).toContain('cdk synth would refuse this config');
    expect(readFileSync(join(dir, 'data', 'ca.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('answers a Traefik check on the Function URL with a 303 to sign-in, and a foreign Host with 403', async () => {
    // Prepare
    const ca = readFileSync(join(dir, 'data', 'ca.pem'), 'utf8');
    const fn = listener('Function URL \\(verify\\)');

    // Act
    const check = await doorRequest(fn, ca, {
      path: '/portals/main',
      headers: { 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Uri': '/x', Accept: 'text/html' },
    });
    const foreign = await doorRequest(fn, ca, { path: '/portals/main', host: 'auth.example.com' });

    // Assess
    expect(check.status).toBe(303);
    expect(check.headers.location).toMatch(/^https:\/\/auth\.example\.com\/portals\/main\/signin\?state=/);
    expect(check.setCookies[0]).toMatch(/^tf_state_main_/);
    expect(foreign.status).toBe(403);
  });

  it('answers the authHost on the HTTP API (its custom domain)', async () => {
    // Prepare
    const ca = readFileSync(join(dir, 'data', 'ca.pem'), 'utf8');
    const api = listener('HTTP API \\(all three\\)');

    // Act
    const res = await doorRequest(api, ca, { path: '/healthz', host: 'auth.example.com' });

    // Assess
    expect(res.status).toBe(204);
  });
});
