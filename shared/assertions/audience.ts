import type { ProviderConfig } from '../config/types.js';
import { AZURE_TOKEN_EXCHANGE_RESOURCE } from './azure-managed-identity.js';

/**
 * The audience a provider's client assertion is minted for: the tsiam `resource` and the default `AwsWebIdentity`
 * audience. Pocket ID's `endpoint`, the OIDC `tokenIssuer`, or for Entra ID the fixed federation audience
 * `api://AzureADTokenExchange` (upstream's constant; Entra federated credentials expect it).
 *
 * @throws Error for Google and GitHub, which have no `clientAssertion` option.
 */
export function assertionAudience(p: ProviderConfig): string {
  switch (p.type) {
    case 'pocketID':
      return p.endpoint;
    case 'openIDConnect':
      return p.tokenIssuer;
    case 'microsoftEntraID':
      return AZURE_TOKEN_EXCHANGE_RESOURCE;
    default:
      throw new Error(`provider type '${p.type}' has no client assertion`);
  }
}
