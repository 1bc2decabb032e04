import * as client from 'openid-client';
import type { GoogleConfig } from '../config/types.js';
import { type Profile, profileFromClaims } from '../profile.js';
import { OIDCProvider, type ProviderDeps } from './oidc.js';

/** Google's OpenID Connect endpoints, fixed as upstream has them (no discovery request at start). */
export const GOOGLE_METADATA: Readonly<client.ServerMetadata> = {
  issuer: 'https://accounts.google.com',
  authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
  token_endpoint: 'https://oauth2.googleapis.com/token',
  userinfo_endpoint: 'https://www.googleapis.com/oauth2/v1/userinfo',
  jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
};

/** The Google Workspace domain of the account (absent for consumer accounts), for conditions like `Eq("hd","x")`. */
const GOOGLE_CLAIMS = ['hd'];

/**
 * Google through openid-client, with upstream's fixed endpoints and issuer. Unlike upstream, which sends neither,
 * the PKCE S256 challenge and the OIDC nonce are always sent (DESIGN §3.3): Google supports both.
 */
export class GoogleProvider extends OIDCProvider {
  /**
   * Google always returns an ID token for the `openid` scope, which the config requires; and its v1 userinfo (upstream's
   * endpoint) has `id` rather than the `sub` openid-client insists on, so a response without one is an error.
   */
  protected override readonly userinfoFallback = false;

  constructor(
    override readonly config: GoogleConfig,
    deps: ProviderDeps,
  ) {
    super(config, deps);
  }

  protected override async createConfiguration(clientAuth: client.ClientAuth): Promise<client.Configuration> {
    return new client.Configuration({ ...GOOGLE_METADATA }, this.config.clientID, undefined, clientAuth);
  }

  protected override toProfile(claims: Record<string, unknown>): Profile {
    return profileFromClaims(claims, [...new Set([...GOOGLE_CLAIMS, ...this.config.additionalClaims])]);
  }
}
