import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_ASSET_FILE, type FunctionName } from '../functions/config-asset.js';

/**
 * A directory holding exactly what the function's asset contains: the bundle (`index.mjs` and the chunks it loads
 * lazily, under `chunks/`, each with its source map) and its `config.json`. It is named by the hash of all of them, so
 * concurrent or repeated synths share it and never see a half-written one.
 */
export function stageAsset(distDir: string, fn: FunctionName, configJson: string): string {
  const bundleDir = join(distDir, fn);
  if (!existsSync(join(bundleDir, 'index.mjs')))
    throw new Error(
      `${join(bundleDir, 'index.mjs')} not found: run \`npm run build\` before synthesizing (the CDK CLI runs it itself)`,
    );
  // The source maps ship too: with --enable-source-maps, CloudWatch stack traces point at the TypeScript.
  const isAsset = (f: string) => f.endsWith('.mjs') || f.endsWith('.mjs.map');
  const chunksDir = join(bundleDir, 'chunks');
  const files = [
    ...['index.mjs', 'index.mjs.map'].filter((f) => existsSync(join(bundleDir, f))),
    ...(existsSync(chunksDir) ? readdirSync(chunksDir).filter(isAsset).sort() : []).map((f) => `chunks/${f}`),
  ];
  const contents = new Map(files.map((f) => [f, readFileSync(join(bundleDir, f))]));
  const hash = createHash('sha256');
  for (const [f, bytes] of contents) hash.update(f).update(bytes);
  const digest = hash.update(configJson).digest('hex').slice(0, 32);
  const dir = join(tmpdir(), 'tfa-serverless-assets', `${fn}-${digest}`);
  if (existsSync(join(dir, CONFIG_ASSET_FILE))) return dir;
  const partial = `${dir}.${process.pid}.partial`;
  mkdirSync(join(partial, 'chunks'), { recursive: true });
  for (const [f, bytes] of contents) writeFileSync(join(partial, f), bytes);
  writeFileSync(join(partial, CONFIG_ASSET_FILE), configJson);
  try {
    renameSync(partial, dir);
  } catch {
    // Another process staged the same content first.
    rmSync(partial, { recursive: true, force: true });
  }
  return dir;
}
