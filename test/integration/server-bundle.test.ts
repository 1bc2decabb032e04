/**
 * The production entry point: `node dist/server.mjs` (built by `npm run build`, and by the test setup when stale)
 * serves the same CLI as `npm start` without a TypeScript transform.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BUNDLE = fileURLToPath(new URL('../../dist/server.mjs', import.meta.url));
let proc: ChildProcess | undefined;
let dir: string | undefined;

afterEach(() => {
  proc?.kill('SIGKILL');
  proc = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** `node dist/server.mjs --health …`: exit code and standard output. */
function health(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUNDLE, '--health', ...args], { timeout: 30_000 }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
}

describe('node dist/server.mjs', () => {
  it('serves a config file: logs the listening URL and answers /healthz with 204', async () => {
    // Arrange
    dir = mkdtempSync(join(tmpdir(), 'tfa-bundle-'));
    const file = join(dir, 'tfa-config.yaml');
    writeFileSync(
      file,
      [
        'server:',
        '  domains: [{ domain: example.com, authHost: auth.example.com }]',
        'logs: { json: true }',
        'portals:',
        '  - name: main',
        '    providers:',
        '      - pocketID: { endpoint: https://id.example.com, clientID: x, clientSecret: y }',
      ].join('\n'),
    );

    // Act
    proc = spawn(process.execPath, [BUNDLE, '--config', file, '--port', '0', '--bind', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc?.stdout?.on('data', (d) => {
        out += d;
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      proc?.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    const res = await fetch(`${url}/healthz`);
    const port = new URL(url).port;
    const healthy = await health(['--config', file, '--port', port, '--bind', '127.0.0.1']);
    proc.kill('SIGKILL');
    await new Promise((r) => proc?.once('close', r));
    const stopped = await health(['--config', file, '--port', port, '--bind', '127.0.0.1']);

    // Assess
    expect(res.status).toBe(204);
    // --health (the container HEALTHCHECK) asks the address the config and flags describe.
    expect(healthy).toEqual({ code: 0, stdout: `healthy: http://127.0.0.1:${port}/healthz\n` });
    expect(stopped).toEqual({ code: 1, stdout: 'unhealthy: GET /healthz did not answer 204\n' });
  });

  it('loads the demo and its oidc-provider only when it runs the demo (they are in a lazily imported chunk)', () => {
    const entry = readFileSync(BUNDLE, 'utf8');
    const staticImports = [...entry.matchAll(/^import\s[^;]*?from\s*"([^"]+)"/gms)].map((m) => m[1]);
    expect(staticImports).toContain('@hono/node-server');
    expect(staticImports).not.toContain('oidc-provider');
    expect(entry).toMatch(/import\("\.\/server-chunks\/demo-[\w-]+\.mjs"\)/);
  });
});
