import type { ProviderConfig } from '../config/types.js';
import type { Profile } from '../profile.js';

export interface AuthorizationRequest {
  redirectUri: string;
  /** The OAuth `state` value (`<provider>~<cookie id>~<state id>`). */
  state: string;
  /** OIDC nonce (always sent; DESIGN §3.3). */
  nonce: string;
  /** PKCE verifier; the S256 challenge is derived from it. Absent when PKCE is off. */
  codeVerifier?: string;
}

export interface CodeExchange {
  /** The callback URL as the provider redirected to it: `redirectUri` plus the query it added. */
  callbackUrl: URL;
  expectedState: string;
  nonce: string;
  codeVerifier?: string;
}

/** An OAuth2/OIDC identity provider as the login and callback use cases see it. */
export interface OAuthProvider {
  readonly config: ProviderConfig;
  authorizationUrl(req: AuthorizationRequest): Promise<URL>;
  /** Exchanges the code (checking state, PKCE and nonce) and returns the user's profile. */
  exchange(req: CodeExchange): Promise<Profile>;
  /**
   * Fetches what a login will need from the provider (its discovery document and JWKS) and returns a one-line summary;
   * for `npm start -- --check`. @throws ProviderError naming what failed
   */
  check(): Promise<string>;
}

/** The providers of every portal, built once per process (see `registry.ts`); the login and callback use cases read it. */
export interface ProviderRegistry {
  get(portal: string, provider: string): OAuthProvider | undefined;
}

/** The code exchange or profile retrieval failed; the cause is logged, the client sees a generic error. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
}
