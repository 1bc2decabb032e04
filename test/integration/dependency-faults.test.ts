/**
 * Defined behaviour when a dependency fails (issue 12 §6; docs/security.md "When a dependency fails"): the real
 * standalone server with its session table behind a DynamoDB-API proxy that fails on command (500, throttling,
 * hanging) and the real dev IdP stopped or slowed. Whatever fails: never a 200 for a session this process has not
 * seen, a documented status (503 ours, 502 the provider's) with an HTML page for browsers, cached sessions keep
 * working within the verify-cache TTL, and a session created before the fault works after it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Standalone, startStandalone } from '../../bin/standalone.js';
import { type DevIdp, startDevIdp } from '../../dev/idp.js';
import { validateConfig } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log.js';
import { DynamoStore } from '../../shared/sessions/dynamodb.js';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../shared/sessions/embedded.js';
import { ensureTable } from '../../shared/sessions/ensure-table.js';
import { type DynamoFault, FaultyDynamo } from '../helpers/fakes/faulty-dynamo.js';
import { IdpFaults } from '../helpers/fakes/idp-faults.js';
import { type FlowBrowser, loginThroughIdp } from '../helpers/login-flow.js';
import { Browser, type Hop, TEST_CLIENT } from '../helpers/stack.js';

const APP = 'https://app.example.com/dashboard';
const PORTAL = 'https://auth.example.com/portals/main';
const TABLE = 'faults-test';
const HTML = { Accept: 'text/html' };

let db: EmbeddedDynamoDB;
let dynamo: FaultyDynamo;
let idp: DevIdp;
let idpFaults: IdpFaults;
let server: Standalone;
/** The table without the proxy: sessions this server's process has never seen. */
let direct: DynamoStore;
const savedEnv = { ...process.env };

beforeAll(async () => {
  db = await startEmbeddedDynamoDB();
  dynamo = new FaultyDynamo(db.endpoint);
  await dynamo.start();
  // The server's client uses the default credential chain (a real endpoint): the embedded store takes any key.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'faults', AWS_SECRET_ACCESS_KEY: 'faults', AWS_REGION: 'us-east-1' });
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await ensureTable(client, TABLE);
  direct = new DynamoStore(client, TABLE);
  idp = await startDevIdp({ clients: [TEST_CLIENT], requirePkce: true, allowRedirect: () => true });
  idpFaults = new IdpFaults(idp);
  const { config } = validateConfig({
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    // A long verify cache: "within the TTL" must not depend on how fast this machine is.
    sessions: { dynamoDBEndpoint: dynamo.url, tableName: TABLE, region: 'us-east-1', verifyCacheTTL: '1h' },
    portals: [
      {
        name: 'main',
        providers: [
          {
            pocketID: {
              endpoint: idp.issuer,
              clientID: TEST_CLIENT.clientId,
              clientSecret: TEST_CLIENT.clientSecret,
              requestTimeout: '1s',
            },
          },
        ],
      },
      // Generic OIDC, one portal per IdP fault: discovered at its first login, which those tests make happen while
      // the IdP is failing.
      ...['oidc-stopped', 'oidc-slow'].map((name) => ({
        name,
        providers: [
          {
            openIDConnect: {
              tokenIssuer: idp.issuer,
              clientID: TEST_CLIENT.clientId,
              clientSecret: TEST_CLIENT.clientSecret,
              requestTimeout: '1s',
            },
          },
        ],
      })),
    ],
  });
  server = await startStandalone({
    config,
    port: 0,
    bind: '127.0.0.1',
    log: createLogger({ level: 'error', json: true, write: () => {} }),
    dynamoTimeoutMs: 200,
  });
});

afterEach(async () => {
  dynamo.heal();
  idpFaults.slowMs = 0;
  if (!idp.server.listening) await idpFaults.start();
});

afterAll(async () => {
  await server?.close();
  await idp?.close();
  await dynamo?.stop();
  await db?.close();
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'])
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
});

const browser = () => new Browser({ server: server.url, idp: idp.issuer });

/** Logs `b` in, running `beforeCallback` just before the provider sends the browser back to the callback. */
function loginWith(b: Browser, beforeCallback: () => Promise<void> | void, user = 'alice'): Promise<Hop[]> {
  const flow: FlowBrowser<Hop> = {
    request: (async (url: string, init?: { form: string }) => {
      if (url.includes('/oauth2/callback')) await beforeCallback();
      // As a browser: every navigation accepts HTML.
      return b.request(
        url,
        init
          ? {
              method: 'POST',
              headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...HTML },
              body: init.form,
            }
          : { headers: HTML },
      );
    }) as FlowBrowser<Hop>['request'],
    location: (hop) => hop.headers.get('location') ?? undefined,
    isIdp: (url) => url.startsWith(idp.issuer),
  };
  return loginThroughIdp(flow, APP, user);
}

/** A session written straight to the table: this server's process has never seen (nor cached) it. */
async function unseenSession(user: string): Promise<string> {
  const now = Date.now();
  return direct.create({
    portal: 'main',
    provider: 'pocketid',
    profile: { id: user, name: { full: user } } as never,
    createdAt: now,
    expiresAt: now + 3_600_000,
  });
}

const check = (cookie: string | undefined, accept = '*/*') =>
  browser().request(APP, { headers: { Accept: accept, ...(cookie ? { Cookie: `tf_sess_main=${cookie}` } : {}) } });

/** A browser-facing failure: the status, the friendly HTML page saying it, and no identity. */
function expectPage(hop: Hop | undefined, status: number, message: string): void {
  expect(hop?.status).toBe(status);
  expect(hop?.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(hop?.body).toContain(message);
  expect(hop?.headers.get('x-forwarded-user')).toBeNull();
}

describe.each<DynamoFault>(['error', 'throttle', 'hang'])('DynamoDB %s', (fault) => {
  it('verify: 503 for a session not seen, 200 for one cached before the fault; both work after it', async () => {
    // Prepare: one session seen (and cached) by this process before the fault, one never seen.
    const seen = browser();
    await seen.login(APP, 'carol');
    const seenToken = (await seen.cookie(APP, 'tf_sess_main'))?.value;
    const unseen = await unseenSession('dave');

    // Act
    dynamo.fault = fault;
    const during = { cached: await check(seenToken), unseen: await check(unseen), anonymous: await check(undefined) };
    dynamo.heal();
    const after = { cached: await check(seenToken), unseen: await check(unseen) };

    // Assess
    expect(during.cached.status).toBe(200);
    expect(during.cached.headers.get('x-forwarded-user')).toBe('carol');
    expect(during.unseen.status).toBe(503);
    expect(during.unseen.body).toBe('Error: Service temporarily unavailable');
    expect(during.unseen.headers.get('x-forwarded-user')).toBeNull();
    // No session, no store: the sign-in redirect needs no database.
    expect(during.anonymous.status).toBe(303);
    expect(after.cached.status).toBe(200);
    expect(after.unseen.status).toBe(200);
    expect(after.unseen.headers.get('x-forwarded-user')).toBe('dave');
  });

  it('sign-in: the provider start answers 503 with the error page, and the next attempt works', async () => {
    // Prepare
    const b = browser();
    const [toSignin] = await b.navigate(APP, 1);
    const signin = toSignin?.headers.get('location') ?? '';

    // Act
    dynamo.fault = fault;
    const during = await b.request(signin.replace('/signin?', '/providers/pocketid?'), { headers: HTML });
    dynamo.heal();
    const retried = await browser().login(APP, 'erin');

    // Assess
    expectPage(during, 503, 'Service temporarily unavailable');
    expect(retried.at(-1)?.status).toBe(200);
  });

  it('callback: 503 with the error page, no session cookie; the next login works', async () => {
    // Act
    const failed = await loginWith(browser(), () => {
      dynamo.fault = fault;
    });
    dynamo.heal();
    const retried = await browser().login(APP, 'frank');

    // Assess
    const callback = failed.find((h) => h.url.includes('/oauth2/callback'));
    expectPage(callback, 503, 'Service temporarily unavailable');
    expect(
      callback?.headers.getSetCookie().filter((c) => c.startsWith('tf_sess_main=') && !c.includes('Max-Age=0')),
    ).toEqual([]);
    expect(failed.at(-1)).toBe(callback);
    expect(retried.at(-1)?.status).toBe(200);
  });

  it('logout: 503 with the error page; the session still ends once the table is back', async () => {
    // Prepare
    const b = browser();
    await b.login(APP, 'grace');

    // Act
    dynamo.fault = fault;
    const during = await b.request(`${PORTAL}/logout`, {
      method: 'POST',
      headers: { ...HTML, Origin: 'https://auth.example.com' },
    });
    dynamo.heal();
    const again = await b.request(`${PORTAL}/logout`, {
      method: 'POST',
      headers: { Origin: 'https://auth.example.com' },
    });

    // Assess
    expectPage(during, 503, 'Service temporarily unavailable');
    expect(again.status).toBe(303);
    expect((await b.request(APP)).status).toBe(303);
  });
});

describe.each([
  ['stopped', 'oidc-stopped', async () => idpFaults.stop()],
  [
    'slower than requestTimeout',
    'oidc-slow',
    () => {
      idpFaults.slowMs = 1_500;
    },
  ],
] as const)('the identity provider %s', (_name, portal, breakIdp) => {
  it('callback: 502 with the error page and no session; sessions keep working; the next login works', async () => {
    // Prepare: a signed-in user, before the fault
    const signedIn = browser();
    await signedIn.login(APP, 'heidi');

    // Act
    const failed = await loginWith(browser(), breakIdp);
    const during = await signedIn.request(APP);
    const unseen = await check(await unseenSession('ivan'));
    idpFaults.slowMs = 0;
    if (!idp.server.listening) await idpFaults.start();
    const retried = await browser().login(APP, 'judy');

    // Assess
    const callback = failed.find((h) => h.url.includes('/oauth2/callback'));
    expectPage(callback, 502, 'The identity provider could not be reached');
    expect(failed.at(-1)).toBe(callback);
    expect(during.status).toBe(200);
    expect(unseen.status).toBe(200);
    expect(retried.at(-1)?.status).toBe(200);
  });

  it('sign-in at a provider not discovered yet: 502 with the error page; the login works once it is back', async () => {
    // Prepare: this fault's portal, whose provider has never been discovered
    const b = new Browser({ server: server.url, idp: idp.issuer, forwardAuthPath: `/portals/${portal}` });
    const [toSignin] = await b.navigate(APP, 1);
    const start = (toSignin?.headers.get('location') ?? '').replace('/signin?', '/providers/openidconnect?');

    // Act
    await breakIdp();
    const during = await b.request(start, { headers: HTML });
    idpFaults.slowMs = 0;
    if (!idp.server.listening) await idpFaults.start();
    const retried = await new Browser({
      server: server.url,
      idp: idp.issuer,
      forwardAuthPath: `/portals/${portal}`,
    }).login(APP, 'mallory');

    // Assess
    expectPage(during, 502, 'The identity provider could not be reached');
    expect(retried.at(-1)?.status).toBe(200);
  });
});
