import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sha256 } from '../../shared/crypto.js';
import { CachedSessionStore } from '../../shared/sessions/cache.js';
import type { Session, SessionInventory, SessionStore, SessionSummary, UserRef } from '../../shared/sessions/types.js';

const NOW = Date.UTC(2026, 0, 1);
const TTL = 10_000;

/** A deferred promise: `release()` lets whoever awaits `promise` continue. */
function gate(): { promise: Promise<void>; release: () => void } {
  let release = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

/**
 * An in-memory SessionStore (a fake of the DynamoDB boundary) that counts calls. `get` reads the item at once and,
 * when `readGate` is set, answers only after it opens, like a database response still on the wire; `revoke` likewise
 * waits for `revokeGate` before deleting.
 */
class FakeStore implements SessionStore, SessionInventory {
  readonly items = new Map<string, Session>();
  gets = 0;
  readonly revoked: string[] = [];
  readGate?: Promise<void>;
  revokeGate?: Promise<void>;
  failNextGet = false;
  private next = 0;

  async get(token: string, now: number): Promise<Session | undefined> {
    this.gets++;
    if (this.failNextGet) {
      this.failNextGet = false;
      throw new Error('DynamoDB is unavailable');
    }
    const item = this.items.get(token);
    await this.readGate;
    return item && item.expiresAt > now ? item : undefined;
  }

  async create(session: Session): Promise<string> {
    const token = `token-${this.next++}`.padEnd(43, 'x');
    this.items.set(token, session);
    return token;
  }

  async list(): Promise<SessionSummary[]> {
    return [];
  }

  async claimRenewal(): Promise<boolean> {
    return true;
  }

  async renew(token: string, _lease: number, renewal: { expiresAt: number }): Promise<boolean> {
    const item = this.items.get(token);
    if (item) this.items.set(token, { ...item, expiresAt: renewal.expiresAt });
    return item !== undefined;
  }

  async listForUser(): Promise<SessionSummary[]> {
    return [];
  }

  async revokeByKey(key: string): Promise<void> {
    for (const token of this.items.keys()) if (sha256(token) === key) this.items.delete(token);
  }

  async revoke(token: string): Promise<void> {
    await this.revokeGate;
    this.revoked.push(token);
    this.items.delete(token);
  }

  async revokeAllForUser(user: UserRef): Promise<number> {
    let n = 0;
    for (const [token, s] of this.items)
      if (s.portal === user.portal && s.provider === user.provider && s.profile.id === user.userId) {
        this.items.delete(token);
        n++;
      }
    return n;
  }
}

function session(userId = 'alice', portal = 'main', expiresAt = NOW + 3600_000): Session {
  return { portal, provider: 'pocketid', profile: { id: userId, name: { full: userId } }, createdAt: NOW, expiresAt };
}

/** lru-cache reads performance.now(); a controllable value makes TTLs deterministic. */
let clock = 0;

/** Moves the cache's clock, then yields long enough for lru-cache's 1 ms memo of "now" to lapse. */
async function advance(ms: number): Promise<void> {
  clock += ms;
  await new Promise((resolve) => setTimeout(resolve, 5));
}

beforeEach(() => {
  clock = 1_000_000;
  vi.spyOn(performance, 'now').mockImplementation(() => clock);
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function setup(options: { ttl?: number; max?: number } = {}) {
  const store = new FakeStore();
  const cache = new CachedSessionStore(store, { ttl: options.ttl ?? TTL, max: options.max ?? 100 });
  const token = await store.create(session());
  return { store, cache, token };
}

describe('CachedSessionStore: hits, misses and TTL', () => {
  it('serves a cached session without asking the store again', async () => {
    // Prepare
    const { store, cache, token } = await setup();

    // Act
    const first = await cache.get(token, NOW);
    const second = await cache.get(token, NOW);

    // Assess
    expect(first).toEqual(session());
    expect(second).toBe(first);
    expect(store.gets).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('keeps serving from the cache until just before the TTL', async () => {
    // Prepare
    const { store, cache, token } = await setup();
    await cache.get(token, NOW);

    // Act
    await advance(TTL - 1);
    const got = await cache.get(token, NOW);

    // Assess
    expect(got).toEqual(session());
    expect(store.gets).toBe(1);
  });

  it('asks the store again once the TTL has passed', async () => {
    // Prepare
    const { store, cache, token } = await setup();
    await cache.get(token, NOW);
    store.items.delete(token);

    // Act
    await advance(TTL + 1);
    const got = await cache.get(token, NOW);

    // Assess
    expect(got).toBeUndefined();
    expect(store.gets).toBe(2);
  });

  it('caches misses too', async () => {
    // Prepare
    const { store, cache } = await setup();
    const unknown = 'u'.repeat(43);

    // Act
    const first = await cache.get(unknown, NOW);
    const second = await cache.get(unknown, NOW);

    // Assess
    expect(first).toBeUndefined();
    expect(second).toBeUndefined();
    expect(store.gets).toBe(1);
  });

  it('re-checks expiresAt on a hit, so an expired session is never served from the cache', async () => {
    // Prepare
    const store = new FakeStore();
    const cache = new CachedSessionStore(store, { ttl: TTL, max: 100 });
    const token = await store.create(session('alice', 'main', NOW + 100));
    await cache.get(token, NOW);

    // Act
    const before = await cache.get(token, NOW + 99);
    const at = await cache.get(token, NOW + 100);
    const after = await cache.get(token, NOW + 5000);

    // Assess
    expect(before?.profile.id).toBe('alice');
    expect(at).toBeUndefined();
    expect(after).toBeUndefined();
    expect(store.gets).toBe(1);
  });

  it('does not cache a failed lookup', async () => {
    // Prepare
    const { store, cache, token } = await setup();
    store.failNextGet = true;

    // Act
    const failed = cache.get(token, NOW);
    await expect(failed).rejects.toThrow('DynamoDB is unavailable');
    const retried = await cache.get(token, NOW);

    // Assess
    expect(retried).toEqual(session());
    expect(store.gets).toBe(2);
  });

  it('keeps the cache bounded, evicting the least recently used lookup', async () => {
    // Prepare
    const store = new FakeStore();
    const cache = new CachedSessionStore(store, { ttl: TTL, max: 2 });
    const [a, b, c] = [
      await store.create(session('a')),
      await store.create(session('b')),
      await store.create(session('c')),
    ];

    // Act
    await cache.get(a, NOW);
    await cache.get(b, NOW);
    await cache.get(a, NOW);
    await cache.get(c, NOW);
    const sizeAfterThree = cache.size;
    await cache.get(a, NOW);
    const getsBeforeB = store.gets;
    await cache.get(b, NOW);

    // Assess
    expect(sizeAfterThree).toBe(2);
    expect(getsBeforeB).toBe(3);
    expect(store.gets).toBe(4);
  });

  it('disables caching with ttl 0', async () => {
    // Prepare
    const { store, cache, token } = await setup({ ttl: 0 });

    // Act
    await cache.get(token, NOW);
    await cache.get(token, NOW);
    await cache.revoke(token);
    const afterRevoke = await cache.get(token, NOW);

    // Assess
    expect(store.gets).toBe(3);
    expect(cache.size).toBe(0);
    expect(store.revoked).toEqual([token]);
    expect(afterRevoke).toBeUndefined();
  });

  it('creates sessions through the store', async () => {
    // Prepare
    const { store, cache } = await setup();

    // Act
    const token = await cache.create(session('bob'));

    // Assess
    expect(store.items.get(token)?.profile.id).toBe('bob');
  });
});

describe('CachedSessionStore: revocation', () => {
  it('evicts a revoked session at once', async () => {
    // Prepare
    const { store, cache, token } = await setup();
    await cache.get(token, NOW);

    // Act
    await cache.revoke(token);
    const got = await cache.get(token, NOW);

    // Assess
    expect(got).toBeUndefined();
    expect(store.revoked).toEqual([token]);
    expect(store.gets).toBe(2);
  });

  it('evicts a session ended by its stored key (the signed-in page, back-channel logout) at once', async () => {
    // Prepare
    const { store, cache, token } = await setup();
    await cache.get(token, NOW);

    // Act
    await cache.revokeByKey(sha256(token));
    const got = await cache.get(token, NOW);

    // Assess
    expect(got).toBeUndefined();
    expect(store.gets).toBe(2);
  });

  it('does not cache a lookup that read the session before a revocation and answered after it', async () => {
    // Prepare
    const { store, cache, token } = await setup();
    const read = gate();
    store.readGate = read.promise;

    // Act
    const inFlight = cache.get(token, NOW);
    await cache.revoke(token);
    store.readGate = undefined;
    read.release();
    const racing = await inFlight;
    const afterwards = await cache.get(token, NOW);

    // Assess: the racing request saw the session (it asked first), but nothing after the revocation does
    expect(racing?.profile.id).toBe('alice');
    expect(afterwards).toBeUndefined();
    expect(store.gets).toBe(2);
  });

  it('does not cache a lookup that started during a revocation and answered after it', async () => {
    // Prepare
    const { store, cache, token } = await setup();
    const revoking = gate();
    const read = gate();
    store.revokeGate = revoking.promise;
    store.readGate = read.promise;

    // Act
    const revocation = cache.revoke(token);
    const inFlight = cache.get(token, NOW);
    revoking.release();
    await revocation;
    store.readGate = undefined;
    read.release();
    await inFlight;
    const afterwards = await cache.get(token, NOW);

    // Assess
    expect(afterwards).toBeUndefined();
  });

  it('does not keep a lookup that completed while the revocation was still in flight', async () => {
    // Prepare
    const { store, cache, token } = await setup();
    const revoking = gate();
    store.revokeGate = revoking.promise;

    // Act
    const revocation = cache.revoke(token);
    const during = await cache.get(token, NOW);
    revoking.release();
    await revocation;
    const afterwards = await cache.get(token, NOW);

    // Assess
    expect(during?.profile.id).toBe('alice');
    expect(afterwards).toBeUndefined();
  });

  it('evicts every cached session of a user of one provider in a portal on "log out everywhere", and only those', async () => {
    // Prepare
    const store = new FakeStore();
    const cache = new CachedSessionStore(store, { ttl: TTL, max: 100 });
    const alice1 = await store.create(session('alice'));
    const alice2 = await store.create(session('alice'));
    const bob = await store.create(session('bob'));
    const aliceElsewhere = await store.create(session('alice', 'other'));
    const aliceOfGithub = await store.create({ ...session('alice'), provider: 'github' });
    const tokens = [alice1, alice2, bob, aliceElsewhere, aliceOfGithub];
    for (const t of tokens) await cache.get(t, NOW);

    // Act
    const n = await cache.revokeAllForUser({ portal: 'main', provider: 'pocketid', userId: 'alice' });
    const results = await Promise.all(tokens.map((t) => cache.get(t, NOW)));

    // Assess
    expect(n).toBe(2);
    expect(results.map((s) => s?.profile.id)).toEqual([undefined, undefined, 'bob', 'alice', 'alice']);
    expect(store.gets).toBe(7);
  });

  it('does not cache a lookup that overlapped "log out everywhere"', async () => {
    // Prepare
    const { store, cache, token } = await setup();
    const read = gate();
    store.readGate = read.promise;

    // Act
    const inFlight = cache.get(token, NOW);
    await cache.revokeAllForUser({ portal: 'main', provider: 'pocketid', userId: 'alice' });
    store.readGate = undefined;
    read.release();
    await inFlight;
    const afterwards = await cache.get(token, NOW);

    // Assess
    expect(afterwards).toBeUndefined();
  });

  it('accepts revoking an unknown token', async () => {
    // Prepare
    const { store, cache } = await setup();

    // Act
    await cache.revoke('n'.repeat(43));

    // Assess
    expect(store.revoked).toEqual(['n'.repeat(43)]);
  });
});
