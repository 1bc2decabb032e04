/**
 * The Lambda boundary (hono's aws-lambda adapter plus functions/runtime.ts), exercised through the built bundles with
 * full Function URL and HTTP API payload 2.0 events: cookies[] in and out, base64 bodies, the original host from
 * X-Forwarded-Host, and identity header bytes.
 */
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaHandler } from '../../functions/runtime.js';
import type { Env } from '../../shared/app/base.js';
import { stylesheetPath } from '../../shared/portal/styles.js';
import type { Profile } from '../../shared/profile.js';
import { identityHeaders } from '../../shared/routes/identity-headers.js';
import { DynamoStore } from '../../shared/sessions/dynamodb.js';
import { type Deployment, pocketIdConfig, startDeployment, TABLE_NAME } from './helpers/deployment.js';
import { apiGatewayEvent, FUNCTION_URL_HOST, functionUrlEvent } from './helpers/events.js';
import { type Bundles, loadBundles } from './helpers/lambda-browser.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ZOE: Profile = {
  id: 'zoe',
  name: { full: 'Zoë Ünïcode 名前' },
  email: { address: 'zoe@example.com', verified: true },
};

let deployment: Deployment;
let bundles: Bundles;
let zoeToken: string;

/** Traefik's forwardAuth request for `https://app.example.com{uri}`, as a Function URL event. */
function traefikCheck(uri: string, opts: { cookies?: string[]; host?: string; query?: string } = {}) {
  return functionUrlEvent({
    path: `/portals/main${opts.query ?? ''}`,
    cookies: opts.cookies,
    headers: {
      Accept: 'text/html',
      'User-Agent': 'Mozilla/5.0',
      'X-Forwarded-Method': 'GET',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': opts.host ?? 'app.example.com',
      'X-Forwarded-Uri': uri,
      'X-Forwarded-For': '203.0.113.7',
    },
  });
}

beforeAll(async () => {
  deployment = await startDeployment({ rawConfig: (issuer) => pocketIdConfig(issuer, { logs: { level: 'error' } }) });
  bundles = loadBundles(ROOT);
  const store = new DynamoStore(
    new DynamoDBClient({
      endpoint: deployment.dynamo.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
    TABLE_NAME,
  );
  const now = Date.now();
  zoeToken = await store.create({
    portal: 'main',
    provider: 'pocketid',
    profile: ZOE,
    createdAt: now,
    expiresAt: now + 3600_000,
  });
});

afterAll(async () => {
  await deployment?.close();
});

describe('Function URL events (Traefik calling verify)', () => {
  it('redirects to sign-in on the auth host taken from X-Forwarded-Host, not the Function URL host', async () => {
    // Act
    const result = await bundles.verify(traefikCheck('/reports?q=1'));

    // Assess
    expect(result.statusCode).toBe(303);
    expect(result.headers.location).toMatch(/^https:\/\/auth\.example\.com\/portals\/main\/signin\?state=[^&]+$/);
    expect(result.headers.location).not.toContain(FUNCTION_URL_HOST);
    expect(result.cookies).toHaveLength(1);
    const [cookie = ''] = result.cookies;
    expect(cookie).toMatch(
      /^tf_state_main_[^=]+=[^;]+; Max-Age=\d+; Domain=example\.com; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    // The state cookie remembers the app URL, rebuilt from X-Forwarded-Proto/Host/Uri.
    const value = cookie.slice(cookie.indexOf('=') + 1, cookie.indexOf(';'));
    expect(JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))).toMatchObject({
      u: 'https://app.example.com/reports?q=1',
    });
  });

  it('reads every cookie of cookies[] and returns every Set-Cookie in cookies[], none in headers', async () => {
    // Prepare: a malformed session cookie (cleared) next to unrelated cookies.
    const event = traefikCheck('/', { cookies: ['theme=dark', 'tf_sess_main=not-a-token', 'lang=fr'] });

    // Act
    const result = await bundles.verify(event);

    // Assess: the session cookie is expired and a state cookie set: two Set-Cookies, both in cookies[].
    expect(result.statusCode).toBe(303);
    expect(result.cookies.map((c) => c.split('=')[0])).toEqual([
      'tf_sess_main',
      expect.stringMatching(/^tf_state_main_/),
    ]);
    expect(result.cookies[0]).toContain('Max-Age=0');
    expect(Object.keys(result.headers).map((h) => h.toLowerCase())).not.toContain('set-cookie');
  });

  it('lets a session through with the identity headers as the same UTF-8 bytes the standalone server sends', async () => {
    // Act
    const result = await bundles.verify(traefikCheck('/', { cookies: [`tf_sess_main=${zoeToken}`] }));

    // Assess: the result (JSON text) carries the real characters; the front door writes them as UTF-8, which are
    // exactly the bytes of the core's byte-string value that a Node or Go server writes.
    expect(result.statusCode).toBe(200);
    const displayName = result.headers['x-forwarded-displayname'] ?? '';
    expect(displayName).toBe('Zoë Ünïcode 名前');
    const standalone = new Map(identityHeaders(deployment.config.portals[0] ?? never(), 'pocketid', ZOE));
    expect(Buffer.from(displayName, 'utf8')).toEqual(
      Buffer.from(standalone.get('X-Forwarded-Displayname') ?? '', 'latin1'),
    );
    expect(result.headers['x-forwarded-user']).toBe('zoe');
  });

  it('redirects ?html=1 to the authenticated page of the login function (verify bundles no HTML)', async () => {
    // Act
    const result = await bundles.verify(traefikCheck('/', { cookies: [`tf_sess_main=${zoeToken}`], query: '?html=1' }));

    // Assess
    expect(result.statusCode).toBe(303);
    expect(result.headers.location).toBe('https://auth.example.com/portals/main/authenticated');
    expect(result.headers['x-forwarded-user']).toBe('zoe');
  });

  it('rejects a host outside server.domains with 400 and sets no cookie', async () => {
    // Act
    const result = await bundles.verify(traefikCheck('/', { host: 'evil.example.net' }));

    // Assess
    expect(result.statusCode).toBe(400);
    expect(result.cookies).toEqual([]);
    expect(result.headers.location).toBeUndefined();
  });
});

describe('HTTP API events (browsers on the auth host)', () => {
  it('answers the health check of the verify function with 204', async () => {
    // Act
    const result = await bundles.verify(apiGatewayEvent({ path: '/healthz' }, { routeKey: 'GET /healthz' }));

    // Assess
    expect(result.statusCode).toBe(204);
    expect(result.body).toBe('');
  });

  it('decodes a base64 request body (logout form post) and expires the cookies through cookies[]', async () => {
    // Prepare
    const event = apiGatewayEvent(
      {
        method: 'POST',
        path: '/portals/main/logout',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://auth.example.com' },
        cookies: ['tf_sess_main=not-a-token', 'tf_state_main_AbCdEfGhIjK=x'],
        body: 'submit=Log+out',
        base64: true,
      },
      { routeKey: '$default', domainName: 'auth.example.com' },
    );

    // Act
    const result = await bundles.login(event);

    // Assess
    expect(result.statusCode).toBe(303);
    expect(result.headers.location).toBe('https://auth.example.com/portals/main?logout=1');
    expect(result.cookies.map((c) => c.split('=')[0])).toEqual(['tf_sess_main', 'tf_state_main_AbCdEfGhIjK']);
  });

  it('returns a gzip-encoded static asset base64-encoded', async () => {
    // Prepare
    const event = apiGatewayEvent(
      { path: stylesheetPath, headers: { 'Accept-Encoding': 'gzip, deflate, br' } },
      { routeKey: '$default', domainName: 'auth.example.com' },
    );

    // Act
    const result = await bundles.login(event);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.isBase64Encoded).toBe(true);
    expect(result.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(Buffer.from(result.body ?? '', 'base64')).toString('utf8')).toContain('{');
  });
});

describe('header encoding at the boundary', () => {
  // The core's identity header value for "Zoë": UTF-8 bytes, one char per byte.
  const bytes = Buffer.from('Zoë', 'utf8').toString('latin1');
  const app = new Hono<Env>().get('/', (c) => c.text('ok', 200, { 'X-Forwarded-Displayname': bytes }));
  const event = functionUrlEvent({ path: '/' });

  it('hono alone returns the byte string unchanged, which a JSON result would double-encode', async () => {
    // Act
    // The same cast as functions/runtime.ts: the two libraries type payload 2.0 slightly differently.
    const result = await handle(app)({ ...event, body: null } as unknown as Parameters<ReturnType<typeof handle>>[0]);

    // Assess: "ZoÃ«" in the JSON result would leave the front door as C3 83 C2 AB, not C3 AB.
    expect(result.headers?.['x-forwarded-displayname']).toBe('ZoÃ«');
  });

  it('lambdaHandler returns the text those bytes encode', async () => {
    // Act
    const result = await lambdaHandler(app)(event);

    // Assess
    expect(result.headers['x-forwarded-displayname']).toBe('Zoë');
    expect(Buffer.from(result.headers['x-forwarded-displayname'] ?? '', 'utf8')).toEqual(Buffer.from(bytes, 'latin1'));
  });
});

function never(): never {
  throw new Error('the config has no portal');
}
