import { providerAssertion } from '../assertions/source.js';
import type { ProviderConfig } from '../config/types.js';
import type { SecretResolver } from '../secrets/resolver.js';
import type { ProviderDeps } from './oidc.js';

/**
 * What each provider of a process that exchanges codes gets (the callback function, the standalone server): the
 * secret resolver, its assertion source (from the parsed `clientAssertion`, with the provider's audience) and, in
 * tests only, a replacement network. The login function builds authorization URLs only and passes a bare resolver.
 */
export function providerDeps(
  env: Record<string, string | undefined>,
  secrets: SecretResolver,
  fetch?: typeof globalThis.fetch,
): (p: ProviderConfig) => ProviderDeps {
  return (p) => ({ secrets, assertion: providerAssertion(p, env), ...(fetch ? { fetch } : {}) });
}
