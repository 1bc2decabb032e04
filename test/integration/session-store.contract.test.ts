import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../shared/crypto.js';
import { DependencyError } from '../../shared/errors.js';
import type { Profile } from '../../shared/profile.js';
import { CachedSessionStore } from '../../shared/sessions/cache.js';
import { DynamoStore } from '../../shared/sessions/dynamodb.js';
import { DynamoSessionReader } from '../../shared/sessions/dynamodb-reader.js';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../shared/sessions/embedded.js';
import { ensureTable } from '../../shared/sessions/ensure-table.js';
import type { LoginState, Session, SessionInventory, SessionStore, StateStore } from '../../shared/sessions/types.js';
import { unseal } from '../../shared/sessions/vault.js';
import { catchErrorAsync } from '../helpers/catch-error.js';

const T0 = 1_800_000_000_000;
const profile = (id: string): Profile => ({ id, name: { full: `User ${id}` }, groups: ['g'] });
const session = (id: string, portal = 'main', expiresAt = T0 + 3600_000): Session => ({
  portal,
  provider: 'pocketid',
  profile: profile(id),
  createdAt: T0,
  expiresAt,
});
const loginState = (expiresAt = T0 + 300_000, bindingHash = 'h'): LoginState => ({
  portal: 'main',
  provider: 'pocketid',
  returnUrl: 'https://app.example.com/x',
  redirectUri: 'https://auth.example.com/portals/main/oauth2/callback',
  codeVerifier: 'v'.repeat(43),
  nonce: 'n',
  bindingHash,
  cookieId: 'c',
  createdAt: T0,
  expiresAt,
});

function client(endpoint: string) {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
}

interface Impl {
  sessions: SessionStore & SessionInventory;
  states: StateStore;
  /** Raw items, to check what is stored. */
  scan(): Promise<string>;
}

/**
 * One behavioural suite for every session-store implementation (oauth2-proxy style): the DynamoDB store on the
 * embedded store in memory, on disk, behind the verify cache, and with every read made by the verify function's
 * signed GetItem (shared/sessions/dynamodb-reader.ts) instead of the SDK.
 */
const implementations: [string, () => Promise<{ impl: Impl; close(): Promise<void> }>][] = [
  ['DynamoStore on dynalite (memory)', () => dynamoImpl()],
  ['DynamoStore on dynalite (disk)', () => dynamoImpl(mkdtempSync(join(tmpdir(), 'tfa-store-')))],
  ['CachedSessionStore over DynamoStore', () => dynamoImpl(undefined, { cached: true })],
  ['DynamoStore writes, DynamoSessionReader reads', () => dynamoImpl(undefined, { signedReads: true })],
];

async function dynamoImpl(path?: string, o: { cached?: boolean; signedReads?: boolean } = {}) {
  const db = await startEmbeddedDynamoDB(path);
  const c = client(db.endpoint);
  await ensureTable(c, 'contract');
  const sdk = new DynamoStore(c, 'contract');
  const reader = new DynamoSessionReader({
    tableName: 'contract',
    region: 'us-east-1',
    endpoint: db.endpoint,
    credentials: () => ({ accessKeyId: 'x', secretAccessKey: 'x' }),
  });
  // The store's own methods, except that a session is read by the reader (Object.create keeps `this` the store's).
  const store = o.signedReads
    ? Object.assign(Object.create(sdk) as DynamoStore, { get: reader.get.bind(reader) })
    : sdk;
  const sessions = o.cached ? new CachedSessionStore(store, { ttl: 10_000, max: 100 }) : store;
  return {
    impl: {
      sessions,
      states: store,
      scan: async () => JSON.stringify((await c.send(new ScanCommand({ TableName: 'contract' }))).Items),
    },
    close: async () => {
      c.destroy();
      reader.close();
      await db.close();
      if (path) rmSync(path, { recursive: true, force: true });
    },
  };
}

describe.each(implementations)('session store contract: %s', (_name, make) => {
  let impl: Impl;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ impl, close } = await make());
  });
  afterAll(() => close?.());

  it('creates a session under an opaque 32-byte token and reads it back', async () => {
    const token = await impl.sessions.create(session('u1'));

    expect(token).toMatch(/^[\w-]{43}$/);
    expect(await impl.sessions.get(token, T0)).toEqual(session('u1'));
  });

  it('stores sessions under the hash of the token, never the token itself', async () => {
    const token = await impl.sessions.create(session('u2'));

    expect(await impl.scan()).not.toContain(token);
  });

  it('returns nothing for an unknown token', async () => {
    expect(await impl.sessions.get('A'.repeat(43), T0)).toBeUndefined();
  });

  it('re-checks expiresAt on every read, exactly at the boundary', async () => {
    const token = await impl.sessions.create(session('u3', 'main', T0 + 1000));

    expect(await impl.sessions.get(token, T0 + 999)).toBeDefined();
    expect(await impl.sessions.get(token, T0 + 1000)).toBeUndefined();
  });

  it('revokes a session so the token stops working at once, and tolerates unknown tokens', async () => {
    const token = await impl.sessions.create(session('u4'));
    expect(await impl.sessions.get(token, T0)).toBeDefined();

    await impl.sessions.revoke(token);
    await impl.sessions.revoke('B'.repeat(43));

    expect(await impl.sessions.get(token, T0)).toBeUndefined();
  });

  it('logs a user out everywhere in one portal, leaving other users, providers and portals alone', async () => {
    const a1 = await impl.sessions.create(session('everywhere'));
    const a2 = await impl.sessions.create(session('everywhere'));
    const other = await impl.sessions.create(session('someone-else'));
    const otherPortal = await impl.sessions.create(session('everywhere', 'second'));
    // The same user id issued by another provider of the portal is another person (issue 12 §3).
    const otherProvider = await impl.sessions.create({ ...session('everywhere'), provider: 'github' });
    expect(await impl.sessions.get(a1, T0)).toBeDefined();

    const n = await impl.sessions.revokeAllForUser({ portal: 'main', provider: 'pocketid', userId: 'everywhere' });

    expect(n).toBe(2);
    expect(await impl.sessions.get(a1, T0)).toBeUndefined();
    expect(await impl.sessions.get(a2, T0)).toBeUndefined();
    expect(await impl.sessions.get(other, T0)).toBeDefined();
    expect(await impl.sessions.get(otherPortal, T0)).toBeDefined();
    expect(await impl.sessions.get(otherProvider, T0)).toBeDefined();
  });

  it('keeps the device and seals the provider tokens under the session token, so the table holds neither', async () => {
    const withDevice = { ...session('sealed'), device: { userAgent: 'Mozilla/5.0 Test', ip: '192.0.2.1' } };
    const token = await impl.sessions.create(withDevice, { idToken: 'id.token.value', refreshToken: 'refresh-value' });

    const read = await impl.sessions.get(token, T0);

    expect(read?.device).toEqual({ userAgent: 'Mozilla/5.0 Test', ip: '192.0.2.1' });
    expect(unseal(token, read?.sealed)).toEqual({ idToken: 'id.token.value', refreshToken: 'refresh-value' });
    expect(unseal('C'.repeat(43), read?.sealed)).toBeUndefined();
    const table = await impl.scan();
    expect(table).not.toContain('id.token.value');
    expect(table).not.toContain('refresh-value');
  });

  it('gives a due renewal to one caller at a time, and writes it only under that lease', async () => {
    const due = { ...session('renewing'), renewAt: T0 - 1, validUntil: T0 + 600_000 };
    const token = await impl.sessions.create(due, { idToken: 'old-id', refreshToken: 'old-rt' });
    const lease = T0 + 60_000;

    const claims = await Promise.all([1, 2, 3].map(() => impl.sessions.claimRenewal(token, T0, lease)));
    const stale = await impl.sessions.renew(token, lease + 1, { expiresAt: T0 + 7200_000 });
    const done = await impl.sessions.renew(token, lease, {
      expiresAt: T0 + 7200_000,
      renewAt: T0 + 3600_000,
      validUntil: T0 + 1200_000,
      profile: profile('renewing'),
      secrets: { idToken: 'new-id', refreshToken: 'new-rt' },
    });
    const read = await impl.sessions.get(token, T0, { fresh: true });

    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(stale).toBe(false);
    expect(done).toBe(true);
    expect(read).toMatchObject({
      createdAt: T0,
      expiresAt: T0 + 7200_000,
      renewAt: T0 + 3600_000,
      validUntil: T0 + 1200_000,
    });
    expect(unseal(token, read?.sealed)).toEqual({ idToken: 'new-id', refreshToken: 'new-rt' });
    // Nothing is due now: a second claim finds the new renewAt in the future.
    expect(await impl.sessions.claimRenewal(token, T0, lease)).toBe(false);
  });

  it('never brings back a session revoked while its renewal was in flight', async () => {
    const token = await impl.sessions.create({ ...session('revoked-renewal'), renewAt: T0 - 1 });
    expect(await impl.sessions.claimRenewal(token, T0, T0 + 60_000)).toBe(true);

    await impl.sessions.revoke(token);
    const done = await impl.sessions.renew(token, T0 + 60_000, { expiresAt: T0 + 7200_000 });

    expect(done).toBe(false);
    expect(await impl.sessions.get(token, T0, { fresh: true })).toBeUndefined();
    expect(await impl.sessions.claimRenewal(token, T0, T0 + 60_000)).toBe(false);
  });

  it("lists a user's live sessions in a portal, newest first, and ends one by its stored key", async () => {
    const older = await impl.sessions.create({ ...session('inventory'), createdAt: T0 - 2000 });
    const newer = await impl.sessions.create({ ...session('inventory'), createdAt: T0 - 1000 });
    await impl.sessions.create({ ...session('inventory'), createdAt: T0 - 3000, expiresAt: T0 });
    await impl.sessions.create(session('inventory', 'second'));
    await impl.sessions.create({ ...session('inventory'), provider: 'github' });

    const listed = await impl.sessions.listForUser({ portal: 'main', provider: 'pocketid', userId: 'inventory' }, T0);
    await impl.sessions.revokeByKey(sha256(older));

    expect(listed.map((s) => s.key)).toEqual([sha256(newer), sha256(older)]);
    expect(listed[0]).toMatchObject({ id: sha256(newer).slice(0, 12), portal: 'main', userId: 'inventory' });
    expect(await impl.sessions.get(older, T0)).toBeUndefined();
    expect(await impl.sessions.get(newer, T0)).toBeDefined();
  });

  it('consumes a login state exactly once', async () => {
    await impl.states.putState('s1', loginState());

    expect(await impl.states.consumeState('s1', T0, 'h')).toEqual({ ok: true, state: loginState() });
    expect(await impl.states.consumeState('s1', T0, 'h')).toEqual({ ok: false, reason: 'missing' });
  });

  it('lets only one of many concurrent consumers win', async () => {
    await impl.states.putState('s2', loginState(undefined, 'h2'));

    const results = await Promise.all(Array.from({ length: 10 }, () => impl.states.consumeState('s2', T0, 'h2')));

    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('rejects an expired login state and an unknown id', async () => {
    await impl.states.putState('s3', loginState(T0 + 10, 'h3'));

    expect(await impl.states.consumeState('s3', T0 + 10, 'h3')).toEqual({ ok: false, reason: 'missing' });
    expect(await impl.states.consumeState('never-stored', T0, 'h3')).toEqual({ ok: false, reason: 'missing' });
  });

  it("finds nothing under another browser's binding and leaves the state for its own browser", async () => {
    await impl.states.putState('s5', loginState(undefined, 'h5'));

    expect(await impl.states.consumeState('s5', T0, 'someone-else')).toEqual({ ok: false, reason: 'missing' });
    expect(await impl.states.consumeState('s5', T0, 'h5')).toEqual({ ok: true, state: loginState(undefined, 'h5') });
  });

  it("keeps one login state per binding: a new attempt replaces the last, whose callback is 'superseded'", async () => {
    await impl.states.putState('first', loginState(undefined, 'h4'));
    await impl.states.putState('second', { ...loginState(undefined, 'h4'), nonce: 'n2' });

    expect(await impl.states.consumeState('first', T0, 'h4')).toEqual({ ok: false, reason: 'superseded' });
    expect(await impl.states.consumeState('second', T0, 'h4')).toEqual({
      ok: true,
      state: { ...loginState(undefined, 'h4'), nonce: 'n2' },
    });
    expect(await impl.states.consumeState('first', T0, 'h4')).toEqual({ ok: false, reason: 'missing' });
  });
});

describe('embedded store on disk', () => {
  let dir: string;
  let db: EmbeddedDynamoDB | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfa-persist-'));
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps sessions across a restart', async () => {
    db = await startEmbeddedDynamoDB(dir);
    let c = client(db.endpoint);
    await ensureTable(c, 'persist');
    const token = await new DynamoStore(c, 'persist').create(session('durable'));
    c.destroy();
    await db.close();

    db = await startEmbeddedDynamoDB(dir);
    c = client(db.endpoint);
    expect(await ensureTable(c, 'persist')).toBe(false);
    expect((await new DynamoStore(c, 'persist').get(token, T0))?.profile.id).toBe('durable');
    c.destroy();
  });
});

describe('when DynamoDB is unreachable', () => {
  it('throws DependencyError (503), never "no session"', async () => {
    const store = new DynamoStore(
      new DynamoDBClient({
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 1,
      }),
      't',
    );

    const err = await catchErrorAsync(() => store.get('C'.repeat(43), T0), DependencyError);

    expect(err).toBeInstanceOf(DependencyError);
    expect(err.status).toBe(503);
  });
});
