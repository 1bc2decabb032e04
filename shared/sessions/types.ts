import type { Profile } from '../profile.js';
import type { SessionSecrets } from './vault.js';

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
  /**
   * ms since epoch: from then on a browser navigation is sent through the renew route (extension, re-validation;
   * `renewal.ts`). Absent when the portal has neither `sessionMaxLifetime` nor `revalidateInterval`.
   */
  renewAt?: number;
  /** ms since epoch: past it the session is not accepted until re-validated (`revalidateInterval`). */
  validUntil?: number;
  /** The browser at login, for the session inventory: User-Agent and client IP, truncated. */
  device?: Device;
  /**
   * The provider's tokens (ID token, refresh token) sealed under a key derived from the session token (`vault.ts`):
   * only a request carrying the cookie can open them. Set by the store from `create`'s `secrets`.
   */
  sealed?: string;
  /**
   * The `server.domains` entry the session cookie was issued for. A check under another configured domain does not
   * accept it (DESIGN §3.12). Absent on sessions stored before this field existed, and without configured domains.
   */
  domain?: string;
}

export interface Device {
  userAgent?: string;
  ip?: string;
}

/** One session as the inventory shows it (`tfa-admin sessions list`, the signed-in page): never a token. */
export interface SessionSummary {
  /** Short id: the first characters of the stored key (SHA-256 of the token), enough to name one session. */
  id: string;
  /** The stored key, SHA-256(token) base64url (without the `s#` prefix). */
  key: string;
  portal: string;
  provider: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  userAgent?: string;
  ip?: string;
}

export interface SessionFilter {
  portal?: string;
  provider?: string;
  userId?: string;
}

/**
 * One user of one provider in one portal (DESIGN §3.13): two providers of a portal may issue the same user id, and
 * they are different people, so the user index, "log out everywhere" and the session list key on all three.
 */
export interface UserRef {
  portal: string;
  provider: string;
  userId: string;
}

export const userOf = (s: Session): UserRef => ({ portal: s.portal, provider: s.provider, userId: s.profile.id });

/** Listing and ending sessions by their stored key (the admin CLI and the signed-in page). */
export interface SessionInventory {
  /** Every live session matching the filter (a table Scan: the admin CLI only). */
  list(filter: SessionFilter, now: number): Promise<SessionSummary[]>;
  /** The live sessions of one user (of one provider) in a portal, newest first (the user index). */
  listForUser(user: UserRef, now: number): Promise<SessionSummary[]>;
  /** Deletes the session stored under `key` (SHA-256 of its token). Unknown keys are fine. */
  revokeByKey(key: string): Promise<void>;
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
  /**
   * A silent re-validation (`prompt=none`) of the browser's current session, not a new sign-in: the callback renews
   * that session under this lease (`SessionStore.claimRenewal`) instead of creating one.
   */
  renewLease?: number;
  createdAt: number;
  expiresAt: number;
}

export interface SessionReader {
  /**
   * The session for a cookie token, or undefined when unknown, revoked or expired at `now`. `fresh`: bypass the
   * verify cache (a session due for renewal may have been renewed by another function since it was cached).
   */
  get(token: string, now: number, options?: { fresh?: boolean }): Promise<Session | undefined>;
}

/** What a renewal writes (`renewal.ts` computes the times; the profile and tokens come from the provider). */
export interface SessionRenewal {
  expiresAt: number;
  renewAt?: number;
  validUntil?: number;
  /** The profile as the provider now describes the user (re-validation); absent: unchanged. */
  profile?: Profile;
  /** The provider's new tokens (a rotated refresh token, a new ID token), sealed under the session token. */
  secrets?: SessionSecrets;
}

export interface SessionStore extends SessionReader {
  /**
   * Stores a new session and returns its cookie token (32 random bytes, base64url). `secrets` are sealed under a key
   * derived from that token before they are stored.
   */
  create(session: Session, secrets?: SessionSecrets): Promise<string>;
  /** Deletes the session so the token stops working at once. Unknown tokens are fine. */
  revoke(token: string): Promise<void>;
  /** "Log out everywhere": deletes every session of a user (of that provider only) in a portal; returns how many. */
  revokeAllForUser(user: UserRef): Promise<number>;
  /**
   * Takes the session's renewal for one caller until `leaseUntil` (its `renewAt` moves there): false when the session
   * is gone or another renewal holds it, so two tabs never spend one refresh token twice.
   */
  claimRenewal(token: string, now: number, leaseUntil: number): Promise<boolean>;
  /**
   * Writes a renewal made under the lease `lease` (the `leaseUntil` of {@link claimRenewal}); false when the session
   * was revoked or the lease lost meanwhile (nothing is written: a revoked session stays revoked).
   */
  renew(token: string, lease: number, renewal: SessionRenewal): Promise<boolean>;
}

export type ConsumeResult =
  | { ok: true; state: LoginState }
  /**
   * `missing`: unknown, expired or already used (or another browser's: each browser binding addresses its own state);
   * `superseded`: this browser started another login since (in another tab), which replaced this one.
   */
  | { ok: false; reason: 'missing' | 'superseded' };

export interface StateStore {
  /**
   * Stores the login state of a browser binding (`state.bindingHash`), replacing the binding's previous one: at most
   * one is live per binding, so repeated provider starts rewrite one record. `attemptId` (the random part of the OAuth
   * `state`) names this login among the binding's.
   */
  putState(attemptId: string, state: LoginState): Promise<void>;
  /**
   * Atomically reads and deletes the login state of `bindingHash`, but only while it is attempt `attemptId`: a second
   * call finds nothing, a call for an attempt since replaced leaves the newer one, and another browser's binding
   * addresses another record.
   */
  consumeState(attemptId: string, now: number, bindingHash: string): Promise<ConsumeResult>;
}

/** What back-channel logout needs of the table: provider session ids and one-time logout token ids. */
export interface BackchannelStore {
  /** Records that the provider session `sid` signed in the session stored under `key`. */
  linkProviderSession(portal: string, provider: string, sid: string, key: string, expiresAt: number): Promise<void>;
  /** Forgets the provider session `sid` and returns the stored keys of the sessions it signed in. */
  takeProviderSession(portal: string, provider: string, sid: string): Promise<string[]>;
  /** Stores a one-time id until `expiresAt`; false when it is already there (a replay). */
  claimOnce(issuer: string, jti: string, expiresAt: number, now: number): Promise<boolean>;
}
