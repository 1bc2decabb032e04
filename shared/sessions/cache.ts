import { LRUCache } from 'lru-cache';
import { sha256 } from '../crypto.js';
import type {
  Session,
  SessionFilter,
  SessionInventory,
  SessionReader,
  SessionRenewal,
  SessionStore,
  SessionSummary,
  UserRef,
} from './types.js';
import type { SessionSecrets } from './vault.js';

/** Marks "looked up, no such session" so misses are cached too (tokens are random and never reused). */
const MISSING = Symbol('missing');

export interface VerifyCacheOptions {
  /** ms; 0 disables the cache. */
  ttl: number;
  max: number;
  /** Told of every lookup, whether the cache answered it (the standalone server's Prometheus metrics). */
  onLookup?: (hit: boolean) => void;
}

/**
 * The per-container verify cache (DESIGN §3.6): a bounded LRU of session lookups with a short TTL. `expiresAt` is
 * re-checked on every hit. This part only reads (what the verify function needs: its table reader has no writes);
 * {@link CachedSessionStore} adds the writes and evicts on revocation.
 */
export class CachedSessionReader<S extends SessionReader = SessionReader> implements SessionReader {
  protected readonly cache?: LRUCache<string, Session | typeof MISSING>;
  /** Bumped when a revocation starts and when it ends, so a lookup overlapping one does not cache what it read. */
  protected revocations = 0;
  private readonly onLookup?: (hit: boolean) => void;

  constructor(
    protected readonly store: S,
    options: VerifyCacheOptions,
  ) {
    if (options.ttl > 0) this.cache = new LRUCache({ max: options.max, ttl: options.ttl, ttlAutopurge: false });
    this.onLookup = options.onLookup;
  }

  async get(token: string, now: number, options?: { fresh?: boolean }): Promise<Session | undefined> {
    if (!this.cache) {
      this.onLookup?.(false);
      return this.store.get(token, now);
    }
    const key = sha256(token);
    const hit = options?.fresh ? undefined : this.cache.get(key);
    this.onLookup?.(hit !== undefined);
    if (hit !== undefined) return hit === MISSING || hit.expiresAt <= now ? undefined : hit;
    const before = this.revocations;
    const session = await this.store.get(token, now);
    // A revocation that ran while this read was in flight may have deleted what it returned: answer, but don't cache.
    if (before === this.revocations) this.cache.set(key, session ?? MISSING);
    return session;
  }

  /** Number of cached lookups (for tests and metrics). */
  get size(): number {
    return this.cache?.size ?? 0;
  }
}

/**
 * The verify cache in front of a full store: revocations made through this object evict at once, so this process
 * never serves a session it revoked; other containers see a revocation within `ttl`.
 */
export class CachedSessionStore
  extends CachedSessionReader<SessionStore & SessionInventory>
  implements SessionStore, SessionInventory
{
  create(session: Session, secrets?: SessionSecrets): Promise<string> {
    return this.store.create(session, secrets);
  }

  claimRenewal(token: string, now: number, leaseUntil: number): Promise<boolean> {
    return this.store.claimRenewal(token, now, leaseUntil);
  }

  /** A renewed session is evicted, so this process's next check reads the new expiry and re-validation times. */
  async renew(token: string, lease: number, renewal: SessionRenewal): Promise<boolean> {
    const done = await this.store.renew(token, lease, renewal);
    this.revocations++;
    this.cache?.delete(sha256(token));
    return done;
  }

  list(filter: SessionFilter, now: number): Promise<SessionSummary[]> {
    return this.store.list(filter, now);
  }

  listForUser(user: UserRef, now: number): Promise<SessionSummary[]> {
    return this.store.listForUser(user, now);
  }

  /** Cache entries are keyed by the same hash as the table, so this evicts exactly that session. */
  async revokeByKey(key: string): Promise<void> {
    this.revocations++;
    this.cache?.delete(key);
    await this.store.revokeByKey(key);
    this.revocations++;
    this.cache?.delete(key);
  }

  async revoke(token: string): Promise<void> {
    this.revocations++;
    this.cache?.delete(sha256(token));
    await this.store.revoke(token);
    this.revocations++;
    // Evict again: a concurrent lookup may have re-filled the entry while the delete was in flight.
    this.cache?.delete(sha256(token));
  }

  async revokeAllForUser(user: UserRef): Promise<number> {
    this.revocations++;
    const n = await this.store.revokeAllForUser(user);
    this.revocations++;
    // Cached entries are keyed by token hash, not user: drop the user's entries by scanning (bounded by `max`).
    if (this.cache)
      for (const [key, value] of this.cache.entries())
        if (
          value !== MISSING &&
          value.portal === user.portal &&
          value.provider === user.provider &&
          value.profile.id === user.userId
        )
          this.cache.delete(key);
    return n;
  }
}
