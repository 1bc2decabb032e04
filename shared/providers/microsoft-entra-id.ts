import * as client from 'openid-client';
import type { MicrosoftEntraIDConfig } from '../config/types.js';
import { type Profile, profileFromClaims } from '../profile.js';
import { discover, OIDCProvider, type ProviderDeps } from './oidc.js';
import { ProviderError } from './provider.js';

const LOGIN = 'https://login.microsoftonline.com';

/**
 * The authorities that sign users in from many tenants. `consumers` is the personal-accounts tenant only, but its
 * issuer is still not the authority's name, so it is handled the same way.
 */
export const ENTRA_MULTI_TENANT_AUTHORITIES: readonly string[] = ['common', 'organizations', 'consumers'];

/** Upstream's fixed endpoints for one tenant; the issuer of that tenant's ID tokens. */
export function entraMetadata(tenant: string): client.ServerMetadata {
  return {
    issuer: `${LOGIN}/${tenant}/v2.0`,
    authorization_endpoint: `${LOGIN}/${tenant}/oauth2/v2.0/authorize`,
    token_endpoint: `${LOGIN}/${tenant}/oauth2/v2.0/token`,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    jwks_uri: `${LOGIN}/${tenant}/discovery/v2.0/keys`,
  };
}

/**
 * Microsoft Entra ID through openid-client. The user ID is the object ID `oid` (stable across the tenant's apps),
 * not the pairwise `sub`; `tid` (tenant) and `wids` (directory role template IDs) are kept for conditions. PKCE is
 * always on, as upstream.
 *
 * A tenant ID uses upstream's fixed endpoints and issuer. The multi-tenant authorities (`common`, `organizations`,
 * `consumers`), which upstream cannot validate, are discovered once per process instead: their tokens carry the
 * user's home tenant as issuer, `https://login.microsoftonline.com/{tid}/v2.0`, and openid-client resolves the
 * discovery document's `{tenantid}` issuer template with the token's `tid` before comparing `iss`. It does that only
 * for metadata discovered from login.microsoftonline.com (by design: panva/openid-client#148), hence the discovery.
 * The same rule is checked again in {@link toProfile}, so it does not rest on a library detail alone.
 */
export class MicrosoftEntraIDProvider extends OIDCProvider {
  /** The tenant rule needs the ID token's `iss` and `tid`; Graph's userinfo has neither. */
  protected override readonly userinfoFallback = false;

  constructor(
    override readonly config: MicrosoftEntraIDConfig,
    deps: ProviderDeps,
  ) {
    super(config, deps);
  }

  protected override async createConfiguration(
    clientAuth: client.ClientAuth,
    customFetch: client.CustomFetch,
  ): Promise<client.Configuration> {
    const tenant = this.config.tenantID;
    if (ENTRA_MULTI_TENANT_AUTHORITIES.includes(tenant))
      return discover(this.config, `${LOGIN}/${tenant}/v2.0`, clientAuth, customFetch);
    return new client.Configuration(entraMetadata(tenant), this.config.clientID, undefined, clientAuth);
  }

  protected override discoveryUrl(): string {
    return `${LOGIN}/${this.config.tenantID}/v2.0/.well-known/openid-configuration`;
  }

  /** @throws ProviderError when `iss` is not the issuer of the token's own tenant `tid`. */
  protected override toProfile(claims: Record<string, unknown>): Profile {
    const tid = typeof claims.tid === 'string' ? claims.tid : '';
    if (!tid || claims.iss !== `${LOGIN}/${tid}/v2.0`)
      throw new ProviderError(
        `ID token issuer ${JSON.stringify(claims.iss)} is not the issuer of its tenant ${JSON.stringify(claims.tid)}`,
      );

    const profile = profileFromClaims(claims, this.config.additionalClaims);
    if (typeof claims.oid === 'string' && claims.oid !== '') profile.id = claims.oid;
    const extra: Record<string, unknown> = { ...profile.additionalClaims, tid };
    const wids = Array.isArray(claims.wids) ? claims.wids.filter((w): w is string => typeof w === 'string') : [];
    if (wids.length > 0) extra.wids = wids;
    profile.additionalClaims = extra;
    return profile;
  }
}
