// Builds the three Lambda bundles: dist/<fn>/index.mjs (+ .map) and dist/<fn>/meta.json (esbuild metafile), and the
// standalone server: dist/server.mjs (+ .map), what `node dist/server.mjs` runs in production.
// `npm run build` always builds; `node scripts/build.mjs --if-stale` (cdk.json, test/global-setup.ts) only when a
// bundle is missing or older than its sources.
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FUNCTIONS = ['verify', 'login', 'callback'];

/** ESM bundles still contain CommonJS dependencies that call `require`; give them one. */
const BANNER = "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);";

/** Builds every function in parallel; returns the size in bytes of each bundle. */
export async function buildAll({ quiet = false } = {}) {
  const started = performance.now();
  const [server, ...sizes] = await Promise.all([buildServer(), ...FUNCTIONS.map((fn) => buildOne(fn))]);
  if (!quiet) {
    for (const [i, fn] of FUNCTIONS.entries()) console.log(`dist/${fn}/index.mjs  ${(sizes[i] / 1024).toFixed(0)} KB`);
    console.log(`dist/server.mjs  ${(server / 1024).toFixed(0)} KB`);
    console.log(`built ${FUNCTIONS.length} bundles in ${Math.round(performance.now() - started)} ms`);
  }
  return Object.fromEntries(FUNCTIONS.map((fn, i) => [fn, sizes[i]]));
}

/**
 * The standalone server: our code bundled into one ES module, so production runs no TypeScript transform (tsx) at
 * start. Packages stay in node_modules (`npm ci --omit=dev`): dynalite loads a native LevelDB binding, and the
 * server needs the SDK's full default credential chain.
 */
async function buildServer() {
  const outfile = join(ROOT, 'dist', 'server.mjs');
  await rm(join(ROOT, 'dist', 'server-chunks'), { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { server: join(ROOT, 'bin', 'server.ts') },
    outdir: join(ROOT, 'dist'),
    outExtension: { '.js': '.mjs' },
    // What the server imports only when needed (the demo and oidc-provider, Secrets Manager) goes into chunks, so an
    // external package imported there is not loaded at every start.
    splitting: true,
    chunkNames: 'server-chunks/[name]-[hash]',
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return (await stat(outfile)).size;
}

async function buildOne(fn) {
  const outdir = join(ROOT, 'dist', fn);
  // A clean directory: the CDK asset is built from exactly what this build wrote.
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { index: join(ROOT, 'functions', `${fn}.ts`) },
    outdir,
    outExtension: { '.js': '.mjs' },
    // Code reached only through a dynamic import (the verify function's SSM client, loaded only when identity
    // assertions are on) goes into a chunk of its own, so a cold start without it does not even parse it.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    // Lambda runs nodejs24.x; node20 keeps the same bundle loadable by the local toolchain and tests.
    target: 'node20',
    // Prefer the ES module builds (the AWS SDK ships both) so unused code is tree-shaken.
    mainFields: ['module', 'main'],
    sourcemap: true,
    metafile: true,
    banner: { js: BANNER },
    legalComments: 'none',
    logLevel: 'warning',
    // The AWS SDK is bundled on purpose: the runtime's copy may predate what we pin (STS GetWebIdentityToken).
    external: [],
    // Lambda's credentials are in the environment: the default chain's other providers only cost cold-start time.
    alias: { '@aws-sdk/credential-provider-node': join(ROOT, 'functions', 'env-credentials.ts') },
  });
  await writeFile(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  return (await stat(join(outdir, 'index.mjs'))).size;
}

/** What goes into the bundles: a bundle older than any of these is stale. */
const SOURCES = ['functions', 'shared', 'bin', 'dev', 'scripts/build.mjs', 'package-lock.json'];

async function newestMtime(path) {
  const st = await stat(path);
  if (!st.isDirectory()) return st.mtimeMs;
  const entries = await readdir(path);
  return Math.max(st.mtimeMs, ...(await Promise.all(entries.map((e) => newestMtime(join(path, e))))));
}

/** Whether a bundle or metafile is missing or older than its newest source. */
export async function isStale() {
  const outputs = [
    join(ROOT, 'dist', 'server.mjs'),
    ...FUNCTIONS.flatMap((fn) => ['index.mjs', 'meta.json'].map((f) => join(ROOT, 'dist', fn, f))),
  ];
  let built;
  try {
    built = Math.min(...(await Promise.all(outputs.map(async (p) => (await stat(p)).mtimeMs))));
  } catch {
    return true;
  }
  const sources = await Promise.all(SOURCES.map((p) => newestMtime(join(ROOT, p)).catch(() => 0)));
  return Math.max(...sources) > built;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `--if-stale` (cdk.json's build step, the test setup): skip the build when dist/ is up to date.
  if (process.argv.includes('--if-stale') && !(await isStale())) console.log('bundles are up to date');
  else await buildAll();
}
