import type { Config, ProviderConfig } from '../config/types.js';
import { GitHubProvider } from './github.js';
import { GoogleProvider } from './google.js';
import { MicrosoftEntraIDProvider } from './microsoft-entra-id.js';
import { OIDCProvider, type ProviderDeps } from './oidc.js';
import type { OAuthProvider, ProviderRegistry } from './provider.js';

/**
 * One provider object per configured provider, built once per process. `depsFor` decides what each may use: the
 * login function passes no secrets or assertions (it only builds authorization URLs); the callback passes both.
 */
export function buildProviderRegistry(config: Config, depsFor: (p: ProviderConfig) => ProviderDeps): ProviderRegistry {
  const map = new Map<string, OAuthProvider>();
  for (const portal of config.portals)
    for (const p of portal.providers) map.set(`${portal.name}/${p.name}`, createProvider(p, depsFor(p)));
  return { get: (portal, provider) => map.get(`${portal}/${provider}`) };
}

/** The provider class for a configured provider kind. */
export function createProvider(p: ProviderConfig, deps: ProviderDeps): OAuthProvider {
  switch (p.type) {
    case 'google':
      return new GoogleProvider(p, deps);
    case 'microsoftEntraID':
      return new MicrosoftEntraIDProvider(p, deps);
    case 'github':
      return new GitHubProvider(p, deps);
    default:
      return new OIDCProvider(p, deps);
  }
}
