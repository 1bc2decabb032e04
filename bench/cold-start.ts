/**
 * P5: cold init of the Lambda bundles: a fresh Node process that imports the built bundle and handles one event,
 * as a ratio to a fresh `node -e 0` and to a bundle that only creates a DynamoDB client and sends one GetItem, all
 * interleaved in one run. The verify event is a signed-in check (one GetItem against the bench's store).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { functionUrlEvent } from './fixtures.js';
import { pin, SERVER_CORE, type Stat, stat } from './lib.js';

export interface ColdStarts {
  node: Stat;
  getItemOnly: Stat;
  verify: Stat;
  login: Stat;
  callback: Stat;
  sizes: Record<string, number>;
}

/** Builds P5b's reference bundle with the same esbuild options as the function bundles. */
async function buildGetItemOnly(dir: string): Promise<string> {
  const outfile = join(dir, 'getitem-only.mjs');
  await build({
    entryPoints: [resolve('bench', 'getitem-only.ts')],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

const RUNNER = `const m = await import(process.env.BENCH_BUNDLE_URL);
const r = await m.handler(JSON.parse(process.env.BENCH_EVENT));
if (r === undefined || (r.statusCode !== undefined && r.statusCode >= 500)) { console.error(JSON.stringify(r)); process.exit(3); }
process.exit(0);`;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr?.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

export async function coldStarts(opts: {
  runs: number;
  dir: string;
  env: Record<string, string>;
  token: string;
}): Promise<ColdStarts> {
  const getItemOnly = await buildGetItemOnly(opts.dir);
  const bundle = (fn: string) => {
    const p = resolve(process.env.BENCH_DIST ?? 'dist', fn, 'index.mjs');
    if (!existsSync(p)) throw new Error(`${p} is missing: run npm run build first`);
    return p;
  };
  const variants: Record<string, { args: string[]; env: Record<string, string> }> = {
    node: { args: ['-e', '0'], env: {} },
    getItemOnly: {
      args: ['--input-type=module', '-e', RUNNER],
      env: { BENCH_BUNDLE_URL: pathToFileURL(getItemOnly).href, BENCH_EVENT: '{}' },
    },
    verify: {
      args: ['--input-type=module', '-e', RUNNER],
      env: {
        BENCH_BUNDLE_URL: pathToFileURL(bundle('verify')).href,
        BENCH_EVENT: JSON.stringify(functionUrlEvent('/portals/main', opts.token)),
      },
    },
    login: {
      args: ['--input-type=module', '-e', RUNNER],
      env: {
        BENCH_BUNDLE_URL: pathToFileURL(bundle('login')).href,
        BENCH_EVENT: JSON.stringify(functionUrlEvent('/portals/main/profile')),
      },
    },
    callback: {
      args: ['--input-type=module', '-e', RUNNER],
      env: {
        BENCH_BUNDLE_URL: pathToFileURL(bundle('callback')).href,
        BENCH_EVENT: JSON.stringify(functionUrlEvent('/portals/main/oauth2/callback')),
      },
    },
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const prefix = pin(SERVER_CORE);
  for (let i = 0; i < opts.runs; i++)
    for (const [name, v] of Object.entries(variants)) {
      const [cmd, ...args] = [...prefix, process.execPath, ...v.args] as [string, ...string[]];
      // Asynchronous: the store (and its counting proxy) answer from this process's event loop.
      const start = performance.now();
      const r = await run(cmd, args, { ...process.env, ...opts.env, ...v.env });
      const elapsed = performance.now() - start;
      if (r.status !== 0) throw new Error(`cold start of ${name} failed (${r.status}): ${r.stderr.slice(-800)}`);
      samples[name]?.push(elapsed);
    }
  const { statSync } = await import('node:fs');
  return {
    node: stat(samples.node ?? []),
    getItemOnly: stat(samples.getItemOnly ?? []),
    verify: stat(samples.verify ?? []),
    login: stat(samples.login ?? []),
    callback: stat(samples.callback ?? []),
    sizes: {
      verify: statSync(bundle('verify')).size,
      login: statSync(bundle('login')).size,
      callback: statSync(bundle('callback')).size,
      getItemOnly: statSync(getItemOnly).size,
    },
  };
}

/**
 * The standalone server's start: spawn to the first `GET /healthz` 204, for the bundled `node dist/server.mjs` (what
 * production runs) and for `tsx bin/server.ts` (`npm start`, development), interleaved.
 */
export async function serverStarts(opts: {
  runs: number;
  configFile: string;
  env: Record<string, string>;
}): Promise<Record<string, Stat>> {
  const variants: Record<string, string[]> = {
    'node dist/server.mjs': [process.execPath, resolve('dist', 'server.mjs')],
    'tsx bin/server.ts': [process.execPath, '--import', 'tsx', resolve('bin', 'server.ts')],
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < opts.runs; i++)
    for (const [name, argv] of Object.entries(variants)) {
      const full = [...pin(SERVER_CORE), ...argv, '--config', opts.configFile, '--port', '0', '--bind', '127.0.0.1'];
      const [cmd = '', ...args] = full;
      const start = performance.now();
      const p = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const url = await new Promise<string>((res, rej) => {
          let out = '';
          const timer = setTimeout(() => rej(new Error(`${name} did not start: ${out.slice(-500)}`)), 30_000);
          const onData = (d: Buffer) => {
            out += d;
            const m = /"url":"(http:\/\/[^"]+)"|url=(http:\/\/\S+)/.exec(out);
            if (m) {
              clearTimeout(timer);
              res((m[1] ?? m[2]) as string);
            }
          };
          p.stdout?.on('data', onData);
          p.stderr?.on('data', onData);
          p.once('exit', (code) => rej(new Error(`${name} exited with ${code}: ${out.slice(-500)}`)));
        });
        const r = await fetch(`${url}/healthz`);
        if (r.status !== 204) throw new Error(`${name}: /healthz answered ${r.status}`);
        samples[name]?.push(performance.now() - start);
      } finally {
        p.kill('SIGKILL');
      }
    }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stat(v)]));
}
