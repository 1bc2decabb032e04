import type { Config } from '../shared/config/types.js';
import { describe } from '../shared/providers/oidc.js';
import { createProvider } from '../shared/providers/registry.js';
import { SecretResolver } from '../shared/secrets/resolver.js';

export interface CheckOptions {
  /** Tests only: routes the providers' calls (real public URLs) to loopback fakes, as `providerFetch` does. */
  providerFetch?: typeof fetch;
  write?: (line: string) => void;
}

/**
 * `npm start -- --check`: for every provider of every portal, fetches what a login will need (discovery document and
 * JWKS) with the provider's own TLS options and timeout, and prints one OK/FAIL line each. For CI and container health
 * checks; the config itself was already validated by loading it.
 * @returns whether every provider passed
 */
export async function checkProviders(config: Config, opts: CheckOptions = {}): Promise<boolean> {
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  // No secret is resolved by a check; the resolver only satisfies the provider's constructor.
  const secrets = new SecretResolver();
  const targets = config.portals.flatMap((portal) => portal.providers.map((p) => ({ portal: portal.name, p })));
  const results = await Promise.all(
    targets.map(async ({ portal, p }) => {
      const label = `${portal}/${p.name} (${p.displayName})`;
      try {
        const detail = await createProvider(p, { secrets, fetch: opts.providerFetch }).check();
        return { ok: true, line: `OK    ${label}: ${detail}` };
      } catch (err) {
        return { ok: false, line: `FAIL  ${label}: ${err instanceof Error ? err.message : describe(err)}` };
      }
    }),
  );
  for (const r of results) write(r.line);
  const failed = results.filter((r) => !r.ok).length;
  write(
    failed === 0
      ? `All ${results.length} ${results.length === 1 ? 'provider' : 'providers'} OK`
      : `${failed} of ${results.length} ${results.length === 1 ? 'provider' : 'providers'} failed`,
  );
  return failed === 0;
}
