/**
 * Cold-start proxy for the Lambda bundles: the time for a fresh Node process to load each built bundle (module
 * initialisation included: config asset, SDK clients), as a ratio to a fresh `node -e 0` measured in the same run.
 * Needs `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serializeConfigAsset } from '../functions/config-asset.js';
import { validateConfig } from '../shared/config/load.js';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 15);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function time(args: string[], env: Record<string, string>): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr.toString().slice(0, 500)}`);
    samples.push(performance.now() - start);
  }
  return median(samples);
}

export function coldStartTable(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tfa-cold-'));
  const { config } = validateConfig(
    {
      server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
      portals: [
        {
          name: 'main',
          providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecretArn: 'tfa/main' } }],
        },
      ],
    },
    'bench',
  );
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, serializeConfigAsset(config));
  const env = {
    TFA_TABLE_NAME: 'bench',
    TFA_CONFIG_PATH: configPath,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const base = time(['-e', '0'], env);
  const rows = [`| node -e 0 (baseline) | ${base.toFixed(0)} | 1.00 |`];
  for (const fn of ['verify', 'login', 'callback']) {
    const bundle = resolve('dist', fn, 'index.mjs');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first`);
    const ms = time(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(bundle).href)})`], env);
    rows.push(`| load dist/${fn}/index.mjs | ${ms.toFixed(0)} | ${(ms / base).toFixed(2)} |`);
  }
  return `\nCold-start proxy: median of ${RUNS} fresh processes each (module load and init, no request).\n\n| process | ms | ratio to baseline |\n|---|---|---|\n${rows.join('\n')}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(coldStartTable());
