import type { Config, ProviderConfig } from '../config/types.js';
import type { ProviderRegistry } from '../routes/providers.js';
import { OIDCProvider, type ProviderDeps } from './oidc.js';
import type { OAuthProvider } from './provider.js';

/**
 * One provider object per configured provider, built once per process. `depsFor` decides what each may use: the
 * login function passes no secrets or assertions (it only builds authorization URLs); the callback passes both.
 */
export function buildProviderRegistry(config: Config, depsFor: (p: ProviderConfig) => ProviderDeps): ProviderRegistry {
  const map = new Map<string, OAuthProvider>();
  for (const portal of config.portals)
    for (const p of portal.providers) map.set(`${portal.name}/${p.name}`, new OIDCProvider(p, depsFor(p)));
  return { get: (portal, provider) => map.get(`${portal}/${provider}`) };
}
