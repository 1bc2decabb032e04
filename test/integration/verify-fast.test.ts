/**
 * The verify fast path (shared/routes/verify-fast.ts) answers signed-in checks without the web-standard core; these
 * tests hold it to the core's answers byte for byte, on Lambda (the verify handler with and without it) and on the
 * standalone server (raw HTTP answers), for a table of ordinary and hostile requests.
 */
import { request as httpRequest } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Standalone, startStandalone } from '../../bin/standalone.js';
import { type FrontDoor, type FrontDoorHandler, startFrontDoor } from '../../dev/aws-front-door.js';
import { rawRequest } from '../../functions/runtime.js';
import { verifyLambdaHandler } from '../../functions/verify-handler.js';
import { validateConfig } from '../../shared/config/load.js';
import type { Config } from '../../shared/config/types.js';
import { createLogger } from '../../shared/log.js';
import { createFastVerify } from '../../shared/routes/verify-fast.js';
import { CachedSessionStore } from '../../shared/sessions/cache.js';
import { DynamoStore } from '../../shared/sessions/dynamodb.js';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../shared/sessions/embedded.js';
import { ensureTable } from '../../shared/sessions/ensure-table.js';

const TABLE = 'verify-fast-test';

interface RequestSpec {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  cookies?: string[];
}
const POCKET = { pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecret: 'y' } };

let db: EmbeddedDynamoDB;
let store: DynamoStore;
let config: Config;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  db = await startEmbeddedDynamoDB();
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await ensureTable(client, TABLE);
  store = new DynamoStore(client, TABLE);
  config = validateConfig({
    server: {
      domains: [{ domain: 'example.com', authHost: 'auth.example.com' }],
      trustedRequestIdHeader: 'X-Trace-Id',
    },
    sessions: { dynamoDBEndpoint: db.endpoint, tableName: TABLE, region: 'us-east-1' },
    logs: { level: 'error' },
    defaultPortal: 'main',
    portals: [
      { name: 'main', providers: [POCKET] },
      { name: 'api', always401: true, providers: [POCKET] },
      { name: 'keep', stripAuthCookies: false, providers: [POCKET] },
    ],
  }).config;
  const now = Date.now();
  const session = (portal: string, profile: object, expiresAt = now + 3_600_000, provider = 'pocketid') =>
    store.create({ portal, provider, profile: profile as never, createdAt: now, expiresAt });
  tokens.alice = await session('main', { id: 'alice', name: { full: 'Alice Ünïcode' }, groups: ['admins', 'users'] });
  tokens.bob = await session('main', { id: 'bob', name: {}, groups: [] });
  tokens.quoted = await session('main', { id: 'e"vil<\u2028>', name: { full: 'line\nbreak\r' }, groups: ['a b'] });
  tokens.api = await session('api', { id: 'carol', name: { full: 'Carol' } });
  tokens.keep = await session('keep', { id: 'dave', name: { full: 'Dave' } });
  tokens.expired = await session('main', { id: 'erin', name: {} }, now + 1);
  tokens.gone = await session('main', { id: 'frank', name: {} }, now + 3_600_000, 'removed-provider');
  // Sessions of portals with sessionMaxLifetime / revalidateInterval (docs/sessions.md): due, and past the deadline.
  const renewing = (id: string, validUntil: number) =>
    store.create({
      portal: 'main',
      provider: 'pocketid',
      profile: { id, name: {} } as never,
      createdAt: now,
      expiresAt: now + 3_600_000,
      renewAt: now - 1,
      validUntil,
    });
  tokens.due = await renewing('gina', now + 3_600_000);
  tokens.unvalidated = await renewing('hank', now);
  await new Promise((r) => setTimeout(r, 5));
});

afterAll(async () => {
  await db?.close();
});

const FWD = {
  'X-Forwarded-Host': 'app.example.com',
  'X-Forwarded-Proto': 'https',
  'X-Forwarded-Uri': '/dashboard?x=1',
  'X-Forwarded-Method': 'GET',
  'X-Trace-Id': 'trace-1',
};
const sess = (name: keyof typeof tokens, portal = 'main') => `tf_sess_${portal}=${tokens[name]}`;

/** [name, request, whether the fast path answers it on Lambda (where the front door sets X-Forwarded-Proto/-Port)] */
const TABLE_ROWS: [string, () => RequestSpec, boolean][] = [
  ['cache hit', () => ({ path: '/portals/main', headers: FWD, cookies: [sess('alice')] }), true],
  [
    'app cookies around the session cookie (stripped from the Cookie it returns)',
    () => ({
      path: '/portals/main',
      headers: FWD,
      cookies: ['theme=dark', sess('alice'), 'tf_state_main_abc=x', 'lang=fr'],
    }),
    true,
  ],
  ['no display name', () => ({ path: '/portals/main', headers: FWD, cookies: [sess('bob')] }), true],
  [
    'quotes, HTML and line breaks in claims',
    () => ({ path: '/portals/main', headers: FWD, cookies: [sess('quoted')] }),
    true,
  ],
  ['the default portal at /', () => ({ path: '/', headers: FWD, cookies: [sess('alice')] }), true],
  ['a trailing slash', () => ({ path: '/portals/main/', headers: FWD, cookies: [sess('alice')] }), true],
  [
    'a portal that keeps auth cookies',
    () => ({ path: '/portals/keep', headers: FWD, cookies: [sess('keep', 'keep')] }),
    true,
  ],
  [
    'an always401 portal, signed in',
    () => ({ path: '/portals/api', headers: FWD, cookies: [sess('api', 'api')] }),
    true,
  ],
  [
    'no trusted request id',
    () => ({ path: '/portals/main', headers: { ...FWD, 'X-Trace-Id': 'bad id' }, cookies: [sess('alice')] }),
    true,
  ],
  ['the portal name in capitals', () => ({ path: '/portals/MAIN', headers: FWD, cookies: [sess('alice')] }), false],
  ['no session', () => ({ path: '/portals/main', headers: FWD }), false],
  [
    'an unknown token',
    () => ({ path: '/portals/main', headers: FWD, cookies: [`tf_sess_main=${'A'.repeat(43)}`] }),
    false,
  ],
  ['a malformed token', () => ({ path: '/portals/main', headers: FWD, cookies: ['tf_sess_main=not-a-token'] }), false],
  ['an expired session', () => ({ path: '/portals/main', headers: FWD, cookies: [sess('expired')] }), false],
  ["another portal's session", () => ({ path: '/portals/main', headers: FWD, cookies: [sess('api', 'main')] }), false],
  ['a provider no longer configured', () => ({ path: '/portals/main', headers: FWD, cookies: [sess('gone')] }), false],
  [
    'a session due for renewal (a navigation: 303 to renew)',
    () => ({ path: '/portals/main', headers: FWD, cookies: [sess('due')] }),
    false,
  ],
  [
    'a session due for renewal (an API client: 200)',
    () => ({ path: '/portals/main', headers: { ...FWD, Accept: 'application/json' }, cookies: [sess('due')] }),
    false,
  ],
  [
    'a session past its re-validation deadline (401)',
    () => ({ path: '/portals/main', headers: { ...FWD, Accept: 'application/json' }, cookies: [sess('unvalidated')] }),
    false,
  ],
  [
    'a condition that passes',
    () => ({
      path: `/portals/main?if=${encodeURIComponent('Group("admins")')}`,
      headers: FWD,
      cookies: [sess('alice')],
    }),
    false,
  ],
  [
    'a condition that fails',
    () => ({ path: `/portals/main?if=${encodeURIComponent('Group("admins")')}`, headers: FWD, cookies: [sess('bob')] }),
    false,
  ],
  [
    'a condition that fails, in a browser navigation (the 403 page)',
    () => ({
      path: `/portals/main?if=${encodeURIComponent('Group("admins")')}`,
      headers: { ...FWD, Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' },
      cookies: [sess('bob')],
    }),
    false,
  ],
  [
    'a condition header',
    () => ({ path: '/portals/main', headers: { ...FWD, 'X-Forward-Auth-If': 'Group("x")' }, cookies: [sess('alice')] }),
    false,
  ],
  ['?html=1', () => ({ path: '/portals/main?html=1', headers: FWD, cookies: [sess('alice')] }), false],
  [
    '401 mode: a JSON client without a session',
    () => ({ path: '/portals/main', headers: { ...FWD, Accept: 'application/json' } }),
    false,
  ],
  ['401 mode: an always401 portal without a session', () => ({ path: '/portals/api', headers: FWD }), false],
  [
    'a host that is not ours',
    () => ({ path: '/portals/main', headers: { ...FWD, 'X-Forwarded-Host': 'evil.test' }, cookies: [sess('alice')] }),
    false,
  ],
  [
    'a malformed X-Forwarded-Host',
    () => ({ path: '/portals/main', headers: { ...FWD, 'X-Forwarded-Host': 'a b/c' }, cookies: [sess('alice')] }),
    false,
  ],
  [
    'a bad X-Forwarded-Proto',
    () => ({ path: '/portals/main', headers: { ...FWD, 'X-Forwarded-Proto': 'gopher' }, cookies: [sess('alice')] }),
    true,
  ],
  [
    'a bad X-Forwarded-Port',
    () => ({ path: '/portals/main', headers: { ...FWD, 'X-Forwarded-Port': '99999' }, cookies: [sess('alice')] }),
    true,
  ],
  [
    'a non-ASCII X-Forwarded-Uri',
    () => ({ path: '/portals/main', headers: { ...FWD, 'X-Forwarded-Uri': '/café?q=ü' }, cookies: [sess('alice')] }),
    true,
  ],
  [
    'a malformed session cookie before the valid one',
    () => ({ path: '/portals/main', headers: FWD, cookies: ['tf_sess_main="bad value"', sess('alice')] }),
    false,
  ],
  ['a POST', () => ({ method: 'POST', path: '/portals/main', headers: FWD, cookies: [sess('alice')] }), false],
];

/** The parts of an answer that are random on the core's path (state nonces and secrets) masked. */
function stable(x: unknown): string {
  return JSON.stringify(x)
    .replace(/state=[\w-]+~[\w-]+/g, 'state=<id>~<nonce>')
    .replace(/(tf_state_\w+?_[\w-]+=)[^;"]+/g, '$1<state>')
    .replace(/nonce-[0-9a-f]+|nonce=\\"[0-9a-f]+\\"/g, '<nonce>')
    .replace(/"x-request-id":"[0-9a-f-]{36}"/g, '"x-request-id":"<uuid>"')
    .replace(/x-request-id: [0-9a-f-]{36}/gi, 'x-request-id: <uuid>');
}

/** One request over HTTP/1.1; the status line, every header but Date, and the body, as raw as Node gives them. */
function raw(port: number, spec: RequestSpec, host: string): Promise<unknown> {
  const headers: Record<string, string> = { ...spec.headers, Host: host };
  if (spec.cookies) headers.Cookie = spec.cookies.join('; ');
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: spec.method ?? 'GET', path: spec.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const pairs: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2)
            if (!/^date$/i.test(res.rawHeaders[i] ?? '')) pairs.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
          resolve({ status: res.statusCode, headers: pairs, body: Buffer.concat(chunks).toString('latin1') });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the verify fast path on Lambda, behind the local Function URL', () => {
  let fastDoor: FrontDoor;
  let slowDoor: FrontDoor;

  beforeAll(async () => {
    const log = createLogger({ level: 'error', json: true, write: () => {} });
    const rt = { config, log, now: Date.now, store };
    const door = (handler: FrontDoorHandler) =>
      startFrontDoor({
        kind: 'functionUrl',
        awsHost: 'abcdefghij2uxqmmbmgqwlbsca0mnzqp.lambda-url.us-east-1.on.aws',
        route: () => ({ handler, name: 'verify', routeKey: '$default' }),
      });
    fastDoor = await door(verifyLambdaHandler(rt, { metrics: () => {} }) as FrontDoorHandler);
    slowDoor = await door(verifyLambdaHandler(rt, { metrics: () => {}, fastPath: false }) as FrontDoorHandler);
  });

  afterAll(async () => {
    await fastDoor?.close();
    await slowDoor?.close();
  });

  const send = async (door: FrontDoor, spec: RequestSpec) => {
    const answer = await raw(door.port, spec, `localhost:${door.port}`);
    return { answer, result: door.invocations.at(-1)?.result };
  };

  it.each(TABLE_ROWS)('answers byte for byte as the core: %s', async (_name, spec) => {
    // Act: twice each, so the second is a cache hit.
    const core = [await send(slowDoor, spec()), await send(slowDoor, spec())];
    const ours = [await send(fastDoor, spec()), await send(fastDoor, spec())];

    // Assess: the Lambda results and what the front door wrote to the wire.
    expect(stable(ours).replace(/localhost:\d+/g, 'door')).toBe(stable(core).replace(/localhost:\d+/g, 'door'));
  });

  it.each(TABLE_ROWS)('takes the fast path only for a signed-in check it can answer: %s', async (_name, spec, fast) => {
    // Arrange: the event the front door builds for this request.
    await send(slowDoor, spec());
    const event = slowDoor.invocations.at(-1)?.event;
    const log = createLogger({ level: 'error', json: true, write: () => {} });
    const sessions = new CachedSessionStore(store, { ttl: 10_000, max: 100 });
    const answer = createFastVerify({ config, log, now: Date.now, sessions });
    const req = event && rawRequest(event);

    // Act
    const result = req && (await answer(req, 'id'));

    // Assess
    expect(result !== undefined).toBe(fast);
  });
});

describe('a store failure on the fast path', () => {
  it("is answered by the core's error mapping, as without the fast path", async () => {
    // Arrange: a table nobody listens for.
    const dead = new DynamoStore(
      new DynamoDBClient({
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 1,
      }),
      TABLE,
    );
    const log = createLogger({ level: 'error', json: true, write: () => {} });
    const rt = { config, log, now: Date.now, store: dead };
    const door = (fastPath: boolean) =>
      startFrontDoor({
        kind: 'functionUrl',
        awsHost: 'abcdefghij2uxqmmbmgqwlbsca0mnzqp.lambda-url.us-east-1.on.aws',
        route: () => ({
          handler: verifyLambdaHandler(rt, { metrics: () => {}, fastPath }) as FrontDoorHandler,
          name: 'verify',
          routeKey: '$default',
        }),
      });
    const [fast, slow] = [await door(true), await door(false)];
    const spec = { path: '/portals/main', headers: FWD, cookies: [sess('alice')] };

    // Act
    try {
      const ours = await raw(fast.port, spec, `localhost:${fast.port}`);
      const core = await raw(slow.port, spec, `localhost:${slow.port}`);

      // Assess
      const s = (x: unknown) => stable(x).replace(/localhost:\d+/g, 'door');
      expect(s(ours)).toBe(s(core));
      expect((ours as { status: number }).status).toBeGreaterThanOrEqual(500);
    } finally {
      await fast.close();
      await slow.close();
    }
  });
});

describe('the access-log line of a check on the fast path', () => {
  it('reads as the core writes it (when successful checks are logged)', async () => {
    // Arrange
    const lines: { fast: string[]; slow: string[] } = { fast: [], slow: [] };
    const logged = { ...config, logs: { ...config.logs, level: 'info' as const, sampleSuccessfulChecks: 1 } };
    const server = (which: 'fast' | 'slow') =>
      startStandalone({
        config: logged,
        port: 0,
        bind: '127.0.0.1',
        log: createLogger({ level: 'info', json: true, write: (l) => lines[which].push(l) }, { app: 'tfa' }),
        fastPath: which === 'fast',
      });
    const spec = {
      path: '/portals/main',
      headers: { ...FWD, 'X-Forwarded-For': '203.0.113.9, 10.0.0.1' },
      cookies: [sess('alice')],
    };
    const [slow, fast] = [await server('slow'), await server('fast')];

    // Act
    try {
      await raw(slow.port, spec, 'auth.example.com');
      await raw(fast.port, spec, 'auth.example.com');
    } finally {
      await slow.close();
      await fast.close();
    }

    // Assess
    const access = (ls: string[]) =>
      ls
        .filter((l) => l.includes('"HTTP Request"'))
        .map((l) => l.replace(/"time":"[^"]+"/, '"time":"<t>"').replace(/"duration":[\d.]+/, '"duration":0'));
    expect(access(lines.fast)).toEqual(access(lines.slow));
    expect(JSON.parse(access(lines.fast)[0] ?? '{}')).toMatchObject({
      msg: 'HTTP Request',
      id: 'trace-1',
      status: 200,
      client: '203.0.113.9',
    });
  });
});

describe('the verify fast path on the standalone server', () => {
  let fastServer: Standalone;
  let slowServer: Standalone;

  beforeAll(async () => {
    const log = createLogger({ level: 'error', json: true, write: () => {} });
    fastServer = await startStandalone({ config, port: 0, bind: '127.0.0.1', log });
    slowServer = await startStandalone({ config, port: 0, bind: '127.0.0.1', log, fastPath: false });
  });

  afterAll(async () => {
    await fastServer?.close();
    await slowServer?.close();
  });

  it.each(TABLE_ROWS)('answers byte for byte as the core: %s', async (_name, spec) => {
    // Act: twice each, so the second is a cache hit.
    const host = 'auth.example.com';
    const core = [await raw(slowServer.port, spec(), host), await raw(slowServer.port, spec(), host)];
    const ours = [await raw(fastServer.port, spec(), host), await raw(fastServer.port, spec(), host)];

    // Assess
    expect(stable(ours)).toBe(stable(core));
  });
});
