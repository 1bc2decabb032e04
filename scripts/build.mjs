// Builds the three Lambda bundles: dist/<fn>/index.mjs (+ .map) and dist/<fn>/meta.json (esbuild metafile).
// `npm run build`; also imported by the test global setup, which rebuilds when dist/ is missing or stale.
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
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
  const sizes = await Promise.all(FUNCTIONS.map((fn) => buildOne(fn)));
  if (!quiet) {
    for (const [i, fn] of FUNCTIONS.entries())
      console.log(`dist/${fn}/index.mjs  ${(sizes[i] / 1024).toFixed(0)} KB`);
    console.log(`built ${FUNCTIONS.length} bundles in ${Math.round(performance.now() - started)} ms`);
  }
  return Object.fromEntries(FUNCTIONS.map((fn, i) => [fn, sizes[i]]));
}

async function buildOne(fn) {
  const outdir = join(ROOT, 'dist', fn);
  // A clean directory: the CDK asset is built from exactly what this build wrote.
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'functions', `${fn}.ts`)],
    outfile: join(outdir, 'index.mjs'),
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
  });
  await writeFile(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  return (await stat(join(outdir, 'index.mjs'))).size;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildAll();
}
