/**
 * The signed identity assertion (DESIGN §3.12, docs/identity-assertion.md): an ES256 JWT for one app origin, minted
 * on a forward-auth 200 and cached per (session, audience) so that a verify-cache hit does not sign again.
 */
import { SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import type { IdentityAssertionConfig } from '../config/types.js';
import { jsonResponse } from '../http/responses.js';
import type { Session } from '../sessions/types.js';
import { ASSERTION_ALG, type AssertionKeySet } from './keys.js';

/** Where a portal's keys come from; called on the first assertion or JWKS request, its promise kept. */
export type AssertionKeyLoader = () => Promise<AssertionKeySet>;

export interface AssertionRequest {
  /** A stable, non-secret id of the session (the hash of its token). */
  sessionKey: string;
  session: Session;
  /** The portal's absolute URL, e.g. `https://auth.example.com/portals/main`. */
  issuer: string;
  /** The app's origin, e.g. `https://app.example.com`. */
  audience: string;
  config: IdentityAssertionConfig;
  /** ms since epoch */
  now: number;
}

interface Cached {
  jwt: string;
  /** ms since epoch after which a new assertion is minted. */
  refreshAt: number;
}

/**
 * Mints and caches assertions. One per process (module scope on Lambda), shared by every portal: the cache key holds
 * the session and the audience, and a session belongs to one portal.
 */
export class IdentityAssertions {
  private readonly cache: LRUCache<string, Cached>;
  private keys?: Promise<AssertionKeySet>;

  constructor(
    private readonly loadKeys: AssertionKeyLoader,
    options: { max: number },
  ) {
    this.cache = new LRUCache({ max: options.max });
  }

  /** The key set, loaded once; a failed load is retried by the next request rather than cached. */
  keySet(): Promise<AssertionKeySet> {
    if (!this.keys)
      this.keys = this.loadKeys().catch((err: unknown) => {
        this.keys = undefined;
        throw err;
      });
    return this.keys;
  }

  /** The compact JWT for this session and app, from the cache while it has more than a short while left. */
  async assertion(r: AssertionRequest): Promise<string> {
    const cacheKey = `${r.sessionKey} ${r.audience}`;
    const hit = this.cache.get(cacheKey);
    if (hit && r.now < hit.refreshAt) return hit.jwt;

    const { signing } = await this.keySet();
    const iat = Math.floor(r.now / 1000);
    const lifetimeEnd = r.now + r.config.lifetime;
    // Never valid past the session: a logout or expiry ends what the app accepts too (give or take `lifetime`).
    const cappedBySession = r.session.expiresAt <= lifetimeEnd;
    const exp = Math.floor((cappedBySession ? r.session.expiresAt : lifetimeEnd) / 1000);
    const { profile } = r.session;
    const claims: Record<string, unknown> = { provider: r.session.provider };
    if (profile.email?.address) claims.email = profile.email.address;
    if (profile.name.full) claims.name = profile.name.full;
    if (profile.groups && profile.groups.length > 0) claims.groups = profile.groups;
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: ASSERTION_ALG, kid: signing.kid, typ: 'JWT' })
      .setIssuer(r.issuer)
      .setAudience(r.audience)
      .setSubject(profile.id)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(signing.key);
    // Re-mint a little before expiry, so an app never receives one about to lapse in flight; one capped by the
    // session is kept to the end (the session ends then anyway).
    const margin = Math.min(60_000, r.config.lifetime / 4);
    this.cache.set(cacheKey, { jwt, refreshAt: cappedBySession ? exp * 1000 : exp * 1000 - margin });
    return jwt;
  }

  /** Cached assertions (tests, metrics). */
  get size(): number {
    return this.cache.size;
  }
}

/** `{"keys": [...]}` with the public keys, for `P/.well-known/jwks.json`. */
export async function jwksResponse(assertions: IdentityAssertions): Promise<Response> {
  const { jwks } = await assertions.keySet();
  // Apps may cache the keys for 5 minutes: a next key is published long before it signs (docs/aws.md, rotation).
  return jsonResponse(200, jwks, { 'Cache-Control': 'public, max-age=300' });
}
