/**
 * Vitest global setup: test/lambda and test/infra load the built bundles (dist/<fn>/index.mjs), so build them when
 * they are missing or older than their sources. `.ci/run` builds first; this covers `npm test` on its own.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const script = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url));
  execFileSync(process.execPath, [script, '--if-stale'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
