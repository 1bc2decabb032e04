/**
 * The Dockerfile read as text, so it cannot drift from what it runs: CI builds and runs it only where buildah works
 * (scripts/container-smoke.sh). Its final stage runs the bundle `npm run build` writes, as a user that is not root,
 * with a HEALTHCHECK that is a flag of the server's own CLI, and copies only what .dockerignore lets in.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

/** Instructions (continuation lines joined, comments dropped) grouped by stage. */
function stages(text: string): { from: string; lines: [string, string][] }[] {
  const out: { from: string; lines: [string, string][] }[] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    if (m[1] === 'FROM') out.push({ from: m[2], lines: [] });
    else out.at(-1)?.lines.push([m[1], m[2].trim()]);
  }
  return out;
}

const dockerfile = stages(read('Dockerfile'));
const final = dockerfile.at(-1);
const last = (instr: string) => final?.lines.filter(([i]) => i === instr).at(-1)?.[1];

describe('Dockerfile', () => {
  it('is multi-stage: production packages, the build, and a final stage from the same Node image', () => {
    const image = '$' + '{NODE_IMAGE}';
    expect(dockerfile.map((s) => s.from)).toEqual([`${image} AS deps`, `${image} AS build`, image]);
    expect(read('Dockerfile')).toMatch(/^ARG NODE_IMAGE=docker\.io\/library\/node:20-bookworm-slim$/m);
    expect(dockerfile[0]?.lines).toContainEqual(['RUN', 'npm ci --omit=dev --no-audit --no-fund']);
    expect(dockerfile[1]?.lines).toContainEqual(['RUN', 'npm run build']);
  });

  it('runs the server bundle that npm run build writes, with its chunks', () => {
    expect(JSON.parse(last('CMD') ?? '')).toEqual(['node', 'dist/server.mjs']);
    expect(read('scripts/build.mjs')).toContain("join(ROOT, 'dist', 'server.mjs')");
    expect(read('scripts/build.mjs')).toContain("chunkNames: 'server-chunks/");
    expect(final?.lines).toContainEqual(['COPY', '--from=build /app/dist/server-chunks dist/server-chunks']);
    // The test setup builds dist/ when stale: the file the CMD names exists.
    expect(existsSync(join(ROOT, 'dist', 'server.mjs'))).toBe(true);
  });

  it('runs as the unprivileged node user, not root', () => {
    const user = last('USER');
    expect(user).toBe('node');
    expect(final?.lines.findIndex(([i]) => i === 'USER')).toBeGreaterThan(
      final?.lines.findLastIndex(([i]) => i === 'COPY') ?? 0,
    );
  });

  it('health-checks with a flag the server CLI has (--health: GET /healthz, no provider contacted)', () => {
    const check = last('HEALTHCHECK') ?? '';
    const cmd = JSON.parse(check.slice(check.indexOf('CMD') + 3)) as string[];
    expect(cmd).toEqual(['node', 'dist/server.mjs', '--health']);
    const server = read('bin/server.ts');
    expect(server).toMatch(/^\s+--health\s+ask the server/m);
    expect(server).toContain("health: { type: 'boolean' }");
  });

  it('copies only files that exist and that .dockerignore lets in (never a local config or secret)', () => {
    const allowed = read('.dockerignore')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    expect(read('.dockerignore').split('\n')).toContain('*');
    const sources = dockerfile
      .flatMap((s) => s.lines)
      .filter(([i, args]) => i === 'COPY' && !args.startsWith('--from'))
      .flatMap(([, args]) => args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) {
      expect(existsSync(join(ROOT, src)), src).toBe(true);
      expect(allowed, src).toContain(src);
    }
  });
});
