import type { Profile } from '../profile.js';

/** A logged-in session, stored server-side under SHA-256 of its cookie token (DESIGN §3.1). */
export interface Session {
  portal: string;
  /** Provider name (as configured in the portal). */
  provider: string;
  profile: Profile;
  /** ms since epoch */
  createdAt: number;
  /** ms since epoch; checked on every read because DynamoDB TTL deletion is lazy. */
  expiresAt: number;
}

/** A single-use login in progress, created at `providers/{provider}` and consumed by the callback (DESIGN §3.2). */
export interface LoginState {
  portal: string;
  provider: string;
  /** Where the browser goes after login; validated against the configured domains when this was created. */
  returnUrl: string;
  /** The exact `redirect_uri` sent to the provider, so the token request repeats it. */
  redirectUri: string;
  /** PKCE verifier (absent when the provider has PKCE turned off). */
  codeVerifier?: string;
  /** OIDC nonce expected in the ID token. */
  nonce: string;
  /** SHA-256 (base64url) of the browser-binding secret carried only in the state cookie. */
  bindingHash: string;
  /** Id of the state cookie (`tf_state_<portal>_<id>`) that started this login. */
  cookieId: string;
  createdAt: number;
  expiresAt: number;
}

export interface SessionReader {
  /** The session for a cookie token, or undefined when unknown, revoked or expired at `now`. */
  get(token: string, now: number): Promise<Session | undefined>;
}

export interface SessionStore extends SessionReader {
  /** Stores a new session and returns its cookie token (32 random bytes, base64url). */
  create(session: Session): Promise<string>;
  /** Deletes the session so the token stops working at once. Unknown tokens are fine. */
  revoke(token: string): Promise<void>;
  /** "Log out everywhere": deletes every session of a user in a portal; returns how many. */
  revokeAllForUser(portal: string, userId: string): Promise<number>;
}

export type ConsumeResult =
  | { ok: true; state: LoginState }
  /** `missing`: unknown, expired or already used; `not-bound`: it exists but belongs to another browser. */
  | { ok: false; reason: 'missing' | 'not-bound' };

export interface StateStore {
  /** Stores a login state under its id (the random part of the OAuth `state`). */
  putState(id: string, state: LoginState): Promise<void>;
  /**
   * Atomically reads and deletes a login state, but only for the browser it is bound to (`bindingHash`): a second call
   * for the same id finds nothing, and a call with another browser's binding leaves the state for its owner.
   */
  consumeState(id: string, now: number, bindingHash: string): Promise<ConsumeResult>;
}
