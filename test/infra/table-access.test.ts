/**
 * The `dynamodb:LeadingKeys` conditions of the synthesized roles against the requests the store really sends (issue
 * #12 §4). The store runs against dynalite with a middleware that records each request as IAM sees it (action,
 * resource, the partition keys of the request: every key of a batch, and the index partition key of a Query on an
 * index), and the IAM stand-in of dev/iam-gate.ts applies the role's Allow statements from the template. Every
 * store call a function makes must pass; the calls of the other functions' jobs must not.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows, type TableCall, tableCall, type WireBody } from '../../dev/iam-gate.js';
import type { FunctionName } from '../../functions/config-asset.js';
import { ForwardAuthStack } from '../../infra/stack.js';
import type { TableStatement } from '../../infra/table-access.js';
import { sha256 } from '../../shared/crypto.js';
import { DynamoStore } from '../../shared/sessions/dynamodb.js';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../shared/sessions/embedded.js';
import { ensureTable } from '../../shared/sessions/ensure-table.js';
import { TABLE } from '../../shared/sessions/table.js';
import type { LoginState, Session, UserRef } from '../../shared/sessions/types.js';
import { actionsOf, joinValue, roleStatements, type Statement, writeConfig } from './helpers.js';

const CONFIG = {
  server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
  portals: [
    { name: 'main', providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'client-main' } }] },
    { name: 'ops', providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'client-ops' } }] },
  ],
};
const NOW = Date.now();
const USER: UserRef = { portal: 'main', provider: 'pocketid', userId: 'alice' };
const session = (userId = 'alice', portal = 'main'): Session => ({
  portal,
  provider: 'pocketid',
  profile: { id: userId, name: { full: userId }, groups: [] },
  createdAt: NOW,
  expiresAt: NOW + 3600_000,
});
const loginState = (bindingHash: string): LoginState => ({
  portal: 'main',
  provider: 'pocketid',
  returnUrl: 'https://app.example.com/',
  redirectUri: 'https://auth.example.com/portals/main/oauth2/callback',
  nonce: 'n',
  bindingHash,
  cookieId: 'c',
  createdAt: NOW,
  expiresAt: NOW + 300_000,
});

/** A role's DynamoDB statements from the template, in the IAM stand-in's terms (the resource as `table`/`index`). */
function fromTemplate(statements: Statement[]): TableStatement[] {
  return statements
    .filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')))
    .map((s) => {
      const resource = joinValue(s.Resource, (r) =>
        JSON.stringify(r).includes('ForwardAuthSessions') ? 'TABLE' : '?',
      );
      if (resource !== 'TABLE' && resource !== `TABLE/index/${TABLE.userIndex}`)
        throw new Error(`resource ${resource}`);
      return {
        actions: actionsOf([s]),
        resource: resource === 'TABLE' ? 'table' : 'index',
        condition: (s.Condition ?? {}) as TableStatement['condition'],
      };
    });
}

let db: EmbeddedDynamoDB;
let client: DynamoDBClient;
let store: DynamoStore;
let policies: Record<FunctionName, TableStatement[]>;
/** The requests recorded while `record` runs. */
let recording: TableCall[] | undefined;
/** A stored session's cookie token. */
let token: string;

async function record(fn: () => Promise<unknown>): Promise<TableCall[]> {
  recording = [];
  try {
    await fn();
    return recording;
  } finally {
    recording = undefined;
  }
}

beforeAll(async () => {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'tfa-cdk-access-')) });
  const stack = new ForwardAuthStack(app, 'TfaAccess', {
    env: { account: '111111111111', region: 'eu-west-1' },
    configFile: writeConfig(CONFIG),
  });
  const template = Template.fromStack(stack);
  policies = {
    verify: fromTemplate(roleStatements(template, 'ForwardAuthVerifyRole')),
    login: fromTemplate(roleStatements(template, 'ForwardAuthLoginRole')),
    callback: fromTemplate(roleStatements(template, 'ForwardAuthCallbackRole')),
  };

  db = await startEmbeddedDynamoDB();
  client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await ensureTable(client, 'access');
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string>; body: string | Uint8Array };
      const body = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
      recording?.push(tableCall(request.headers['x-amz-target'] ?? '', JSON.parse(body) as WireBody));
      return next(args);
    },
    { step: 'build', name: 'recordForIam' },
  );
  store = new DynamoStore(client, 'access');
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await db?.close();
});

/** Each function's jobs, as its routes call the store (infra/table-access.ts lists them). */
const JOBS: Record<FunctionName, [string, () => Promise<unknown>][]> = {
  verify: [['check a session', () => store.get(token, NOW)]],
  login: [
    ['start a login (provider start)', () => store.putState('attempt', loginState('login-binding'))],
    ['read a session (logout, profile)', () => store.get('some-token', NOW)],
    ['list the user’s sessions (signed-in page)', () => store.listForUser(USER, NOW)],
    ['end one session (signed-in page)', () => store.revokeByKey(sha256('other'))],
    ['log out', () => store.revoke('some-token')],
    ['log out everywhere', () => store.revokeAllForUser(USER)],
  ],
  callback: [
    ['consume a login state', () => store.consumeState('attempt', NOW, 'callback-binding')],
    ['consume a replaced login state (GetItem after the failed delete)', () => store.consumeState('x', NOW, 'b2')],
    ['create the session', () => store.create(session())],
    ['record the provider session id', () => store.linkProviderSession('main', 'pocketid', 'sid', 'key', NOW + 1000)],
    ['back-channel: claim the jti', () => store.claimOnce('https://id.example.com', 'jti', NOW + 1000, NOW)],
    ['back-channel: take the sid record', () => store.takeProviderSession('main', 'pocketid', 'sid')],
    ['back-channel: find the user’s sessions by sub', () => store.listForUser(USER, NOW)],
    ['back-channel: revoke one', () => store.revokeByKey(sha256('other'))],
    ['renew: read the session past the cache', () => store.get(token, NOW, { fresh: true })],
    ['renew: take the renewal', () => store.claimRenewal(token, NOW, NOW + 60_000)],
    ['renew: write it', () => store.renew(token, NOW + 60_000, { expiresAt: NOW + 7200_000 })],
    ['renew: silent re-validation (prompt=none) login state', () => store.putState('renew', loginState('renew'))],
    ['renew: end a session the provider refused', () => store.revoke('some-token')],
  ],
};

describe('dynamodb:LeadingKeys conditions against the store’s real requests', () => {
  beforeAll(async () => {
    // Sessions for the listing and batch calls to have keys, and login states for the callback to consume.
    for (let i = 0; i < 3; i++) token = await store.create(session());
    await store.putState('attempt', loginState('callback-binding'));
    await store.putState('newer', loginState('b2'));
  });

  for (const fn of ['verify', 'login', 'callback'] as const)
    it(`allows every request of the ${fn} function`, async () => {
      const denied: string[] = [];
      let count = 0;
      for (const [job, run] of JOBS[fn]) {
        const calls = await record(run);
        count += calls.length;
        for (const c of calls)
          if (!allows(policies[fn], c)) denied.push(`${job}: ${c.action} ${c.resource} ${c.leadingKeys.join(',')}`);
      }
      expect(denied).toEqual([]);
      expect(count).toBeGreaterThanOrEqual(JOBS[fn].length);
    });

  it('records batch and index requests with all their keys (the evaluator sees what IAM sees)', async () => {
    const carol = { ...USER, userId: 'carol' };
    const keys = [];
    for (let i = 0; i < 3; i++) keys.push(`s#${sha256(await store.create(session('carol')))}`);

    const listed = await record(() => store.listForUser(carol, NOW));
    const everywhere = await record(() => store.revokeAllForUser({ ...USER, userId: 'nobody' }));

    expect(listed[0]).toEqual({
      action: 'dynamodb:Query',
      resource: 'index',
      leadingKeys: ['main#pocketid#carol'],
    });
    expect(listed[1]?.action).toBe('dynamodb:BatchGetItem');
    expect(listed[1]?.leadingKeys.sort()).toEqual(keys.sort());
    expect(everywhere).toEqual([
      { action: 'dynamodb:Query', resource: 'index', leadingKeys: ['main#pocketid#nobody'] },
    ]);
  });

  it.each<[FunctionName, string, () => Promise<unknown>]>([
    ['verify', 'create a session', () => store.create(session())],
    ['verify', 'read a login state', () => store.consumeState('x', NOW, 'h')],
    ['verify', 'query the user index', () => store.listForUser(USER, NOW)],
    ['login', 'create a session', () => store.create(session())],
    ['login', 'consume a login state', () => store.consumeState('x', NOW, 'h')],
    ['login', 'touch back-channel records', () => store.takeProviderSession('main', 'pocketid', 'sid')],
    ['login', 'scan the table', () => store.list({}, NOW)],
    ['callback', 'delete sessions in a batch', () => store.revokeAllForUser(USER)],
    ['callback', 'scan the table', () => store.list({}, NOW)],
  ])('denies %s what is not its job: %s', async (fn, _job, run) => {
    const calls = await record(run);

    expect(calls.length).toBeGreaterThan(0);
    expect(calls.some((c) => !allows(policies[fn], c))).toBe(true);
  });

  it("denies a query for a user of a provider or portal that is not configured (the index partition key's prefix)", () => {
    const query = (uid: string): TableCall => ({
      action: 'dynamodb:Query',
      resource: 'index',
      leadingKeys: [uid],
    });

    for (const fn of ['login', 'callback'] as const) {
      expect(allows(policies[fn], query('ops#pocketid#bob'))).toBe(true);
      expect(allows(policies[fn], query('main#github#alice'))).toBe(false);
      expect(allows(policies[fn], query('other#pocketid#alice'))).toBe(false);
      expect(allows(policies[fn], query('s#x'))).toBe(false);
    }
  });
});
