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
  /** `none`: a silent re-validation; the provider answers at once, with a code or with `error=login_required`. */
  prompt?: 'none';
}

export interface CodeExchange {
  /** The callback URL as the provider redirected to it: `redirectUri` plus the query it added. */
  callbackUrl: URL;
  expectedState: string;
  nonce: string;
  codeVerifier?: string;
}

/** What a completed sign-in yields: the profile, plus what the session keeps for logout and revalidation. */
export interface SignIn {
  profile: Profile;
  /** The ID token as issued (for `id_token_hint` at RP-initiated logout); sealed in the session, never logged. */
  idToken?: string;
  /** Refresh token, when the provider issued one; sealed in the session, never logged. */
  refreshToken?: string;
  /** The provider's session id (`sid` claim of the ID token), for back-channel logout. */
  sid?: string;
}

/** What a refresh-token grant yields (re-validation): the provider still knows and accepts the user. */
export interface Refreshed {
  /** From the new ID token, when the provider issued one; else the session keeps its profile. */
  profile?: Profile;
  idToken?: string;
  /** The refresh token to use next time (rotated, or the same one). */
  refreshToken: string;
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
  /** {@link exchange}, keeping the ID token, refresh token and provider session id for the session. */
  signIn(req: CodeExchange): Promise<SignIn>;
  /**
   * The provider's `end_session_endpoint` (OpenID Connect RP-Initiated Logout), when it has one: Pocket ID's fixed
   * path, or what discovery advertised.
   */
  endSessionEndpoint(): Promise<URL | undefined>;
  /**
   * The refresh-token grant, for re-validation (`revalidateInterval`). Absent where a provider offers none.
   * @throws the openid-client error: an OAuth error response (`invalid_grant`: the user or grant is gone) or a network
   *   failure, told apart by `exchangeFailure`
   */
  refresh?(refreshToken: string): Promise<Refreshed>;
}

/** The providers of every portal, built once per process (see `registry.ts`); the login and callback use cases read it. */
export interface ProviderRegistry {
  get(portal: string, provider: string): OAuthProvider | undefined;
}

/** The code exchange or profile retrieval failed; the cause is logged, the client sees a generic error. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
}
