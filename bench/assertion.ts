/**
 * The identity assertion's costs (issue 13), measured in process: its size, one ES256 signature (a cache miss), a
 * cached answer (a verify-cache hit), and loading the key set (the cold-start part that is ours; on AWS the SSM
 * GetParameter round trip comes on top and cannot be measured here).
 */
import { execFileSync } from 'node:child_process';
import { IdentityAssertions } from '../shared/identity/assertion.js';
import { keySetFromPrivateJwks, newStoredKeys, parseStoredKeys } from '../shared/identity/keys.js';
import { PROFILE } from './fixtures.js';

export interface AssertionCosts {
  bytes: number;
  signUs: number;
  hitUs: number;
  keyLoadMs: number;
  /** Importing the SSM client in a fresh process (unbundled, so an upper bound for verify's lazy chunk). */
  ssmImportMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function assertionCosts(rounds: number): Promise<AssertionCosts> {
  const stored = newStoredKeys();
  const loads: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await keySetFromPrivateJwks(parseStoredKeys(stored, 'bench'), 'bench');
    loads.push(performance.now() - t);
  }
  const assertions = new IdentityAssertions(() => keySetFromPrivateJwks(parseStoredKeys(stored, 'bench'), 'bench'), {
    max: rounds + 10,
  });
  const now = Date.now();
  const request = (i: number) => ({
    sessionKey: `s${i}`,
    session: { portal: 'main', provider: 'pocketid', profile: PROFILE, createdAt: now, expiresAt: now + 3_600_000 },
    issuer: 'https://auth.example.com/portals/main',
    audience: 'https://app.example.com',
    config: { header: 'X-Forward-Auth-Assertion', lifetime: 300_000 },
    now,
  });
  const jwt = await assertions.assertion(request(-1));
  const signs: number[] = [];
  const hits: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    await assertions.assertion(request(i));
    signs.push(performance.now() - t);
    t = performance.now();
    await assertions.assertion(request(i));
    hits.push(performance.now() - t);
  }
  return {
    bytes: Buffer.byteLength(jwt),
    signUs: median(signs) * 1000,
    hitUs: median(hits) * 1000,
    keyLoadMs: median(loads),
    ssmImportMs: median(Array.from({ length: 5 }, ssmImport)),
  };
}

function ssmImport(): number {
  const script =
    "const t = performance.now(); await import('@aws-sdk/client-ssm'); console.log(performance.now() - t);";
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
}
