/**
 * The Lambda boundary (hono's aws-lambda adapter plus functions/runtime.ts), exercised through the built bundles behind
 * the local Function URL and HTTP API (dev/aws-local.ts), which build the payload 2.0 events as AWS does: cookies[] in
 * and out, base64 bodies, the original host from X-Forwarded-Host, and identity header bytes.
 */
import { gunzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FrontDoor, type FrontDoorHandler, startFrontDoor } from '../../dev/aws-front-door.js';
import { lambdaHandler } from '../../functions/runtime.js';
import type { Env } from '../../shared/app/base.js';
import { pathAndQuery } from '../../shared/http/forwarded.js';
import { stylesheetPath } from '../../shared/portal/styles.js';
import type { Profile } from '../../shared/profile.js';
import { identityHeaders } from '../../shared/routes/identity-header-values.js';
import { DynamoStore } from '../../shared/sessions/dynamodb.js';
import { type Deployment, pocketIdConfig, startDeployment, TABLE_NAME } from './helpers/deployment.js';
import { type DoorRequest, type DoorResponse, doorRequest } from './helpers/front-door-client.js';

const ZOE: Profile = {
  id: 'zoe',
  name: { full: 'Zoë Ünïcode 名前' },
  email: { address: 'zoe@example.com', verified: true },
};

let deployment: Deployment;
let zoeToken: string;

/** The Lambda result of a response that the front door got from a function (fails the test otherwise). */
function resultOf(res: DoorResponse) {
  if (!res.result) throw new Error(`no function answered (status ${res.status}): ${res.body}`);
  return {
    ...res.result,
    headers: (res.result.headers ?? {}) as Record<string, string>,
    cookies: res.result.cookies ?? [],
  };
}

/** Traefik's forwardAuth request for `https://app.example.com{uri}`, through the Function URL. */
async function traefikCheck(uri: string, opts: { cookies?: string[]; host?: string; query?: string } = {}) {
  return doorRequest(deployment.aws.functionUrl, deployment.pki.caPEM, {
    path: `/portals/main${opts.query ?? ''}`,
    headers: {
      Accept: 'text/html',
      'User-Agent': 'Mozilla/5.0',
      'X-Forwarded-Method': 'GET',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': opts.host ?? 'app.example.com',
      'X-Forwarded-Uri': uri,
      'X-Forwarded-For': '203.0.113.7',
      ...(opts.cookies ? { Cookie: opts.cookies.join('; ') } : {}),
    },
  });
}

/** A browser's request to the HTTP API on its custom domain. */
function onAuthHost(r: DoorRequest) {
  return doorRequest(deployment.aws.httpApi, deployment.pki.caPEM, { host: 'auth.example.com', ...r });
}

beforeAll(async () => {
  deployment = await startDeployment({ rawConfig: (issuer) => pocketIdConfig(issuer, { logs: { level: 'error' } }) });
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
    const res = await traefikCheck('/reports?q=1');
    const result = resultOf(res);

    // Assess
    expect(result.statusCode).toBe(303);
    expect(result.headers.location).toMatch(
      /^https:\/\/auth\.example\.com\/portals\/main\/signin\?state=[^&]+&return=[\w-]+$/,
    );
    expect(result.headers.location).not.toContain(deployment.aws.functionUrlHost);
    // The front door wrote the one cookies[] entry as the one Set-Cookie line.
    expect(res.setCookies).toEqual(result.cookies);
    expect(result.cookies).toHaveLength(1);
    const [cookie = ''] = result.cookies;
    expect(cookie).toMatch(
      /^tf_state_main_[^=]+=[^;]+; Max-Age=\d+; Domain=example\.com; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    // The sign-in URL carries the app URL, rebuilt from X-Forwarded-Proto/Host/Uri.
    const ret = new URL(result.headers.location ?? '').searchParams.get('return') ?? '';
    expect(Buffer.from(ret, 'base64url').toString('utf8')).toBe('https://app.example.com/reports?q=1');
  });

  it('reads every cookie of cookies[] and returns every Set-Cookie in cookies[], none in headers', async () => {
    // Prepare: a malformed session cookie (cleared) next to unrelated cookies.
    const cookies = ['theme=dark', 'tf_sess_main=not-a-token', 'lang=fr'];

    // Act
    const res = await traefikCheck('/', { cookies });
    const result = resultOf(res);

    // Assess: the session cookie is expired and a state cookie set: two Set-Cookies, both in cookies[].
    expect(result.statusCode).toBe(303);
    expect(result.cookies.map((c) => c.split('=')[0])).toEqual([
      'tf_sess_main',
      expect.stringMatching(/^tf_state_main_/),
    ]);
    expect(result.cookies[0]).toContain('Max-Age=0');
    expect(Object.keys(result.headers).map((h) => h.toLowerCase())).not.toContain('set-cookie');
    // In: the Cookie header became cookies[]; out: one Set-Cookie line per cookies[] entry.
    expect(res.event?.cookies).toEqual(cookies);
    expect(res.event?.headers.cookie).toBeUndefined();
    expect(res.setCookies).toEqual(result.cookies);
  });

  it('lets a session through with the identity headers as the same UTF-8 bytes the standalone server sends', async () => {
    // Act
    const res = await traefikCheck('/', { cookies: [`tf_sess_main=${zoeToken}`] });
    const result = resultOf(res);

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
    const result = resultOf(await traefikCheck('/', { cookies: [`tf_sess_main=${zoeToken}`], query: '?html=1' }));

    // Assess
    expect(result.statusCode).toBe(303);
    expect(result.headers.location).toBe('https://auth.example.com/portals/main/authenticated');
    expect(result.headers['x-forwarded-user']).toBe('zoe');
  });

  it('rejects a host outside server.domains with 400 and sets no cookie', async () => {
    // Act
    const result = resultOf(await traefikCheck('/', { host: 'evil.example.net' }));

    // Assess
    expect(result.statusCode).toBe(400);
    expect(result.cookies).toEqual([]);
    expect(result.headers.location).toBeUndefined();
  });
});

describe('a check that reaches the AWS front door without X-Forwarded-Host', () => {
  it.each([
    ['the Function URL', () => deployment.aws.functionUrl],
    ['the HTTP API (its execute-api host)', () => deployment.aws.httpApi],
  ])('answers 400 naming the missing header through %s, with no cookie and no redirect', async (_, door) => {
    // Act: a proxy that sends Host = the front door's (as Traefik must) but forgot X-Forwarded-Host.
    const res = await doorRequest(door(), deployment.pki.caPEM, {
      path: '/portals/main',
      headers: { Accept: 'text/html', 'X-Forwarded-Uri': '/reports', 'X-Forwarded-Proto': 'https' },
    });

    // Assess
    expect(res.invocation?.target).toBe('verify');
    expect(res.status).toBe(400);
    expect(res.body).toBe('Error: Missing header X-Forwarded-Host');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.location).toBeUndefined();
    expect(res.setCookies).toEqual([]);
  });
});

describe('a raw non-ASCII byte in X-Forwarded-Uri', () => {
  it('keeps its return URL through the Lambda adapter, exactly as the standalone server builds it', async () => {
    // Prepare: Traefik sends the query raw (Go's RequestURI), here the UTF-8 bytes of "ä".
    const raw = Buffer.from('/search?q=ä', 'utf8').toString('latin1');

    // Act
    const result = resultOf(await traefikCheck(raw));

    // Assess: the same %C3%A4 the standalone server's pathAndQuery makes of those bytes.
    const ret = new URL(result.headers.location ?? '').searchParams.get('return') ?? '';
    const returnUrl = Buffer.from(ret, 'base64url').toString('utf8');
    expect(returnUrl).toBe(`https://app.example.com${pathAndQuery(raw)}`);
    expect(returnUrl).toBe('https://app.example.com/search?q=%C3%A4');
  });
});

describe('HTTP API events (browsers on the auth host)', () => {
  it('answers the health check of the verify function with 204', async () => {
    // Act
    const res = await doorRequest(deployment.aws.httpApi, deployment.pki.caPEM, { path: '/healthz' });
    const result = resultOf(res);

    // Assess
    expect(result.statusCode).toBe(204);
    expect(result.body).toBe('');
  });

  it('decodes a base64 request body (logout form post) and expires the cookies through cookies[]', async () => {
    // Prepare
    const cookies = ['tf_sess_main=not-a-token', 'tf_state_main_AbCdEfGhIjK=x'];

    // Act
    const res = await onAuthHost({
      method: 'POST',
      path: '/portals/main/logout',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: 'https://auth.example.com',
        Cookie: cookies.join('; '),
      },
      body: 'submit=Log+out',
    });
    const result = resultOf(res);

    // The HTTP API delivered the form body base64-encoded, to the login function ($default route).
    expect(res.invocation?.target).toBe('login');
    expect(res.event?.isBase64Encoded).toBe(true);
    expect(Buffer.from(res.event?.body ?? '', 'base64').toString('utf8')).toBe('submit=Log+out');
    // Assess
    expect(result.statusCode).toBe(303);
    expect(result.headers.location).toBe('https://auth.example.com/portals/main?logout=1');
    expect(result.cookies.map((c) => c.split('=')[0])).toEqual(['tf_sess_main', 'tf_state_main_AbCdEfGhIjK']);
  });

  it('returns a gzip-encoded static asset base64-encoded', async () => {
    // Prepare
    const request = { path: stylesheetPath, headers: { 'Accept-Encoding': 'gzip, deflate, br' } };

    // Act
    const res = await onAuthHost(request);
    const result = resultOf(res);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.isBase64Encoded).toBe(true);
    expect(result.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(Buffer.from(result.body ?? '', 'base64')).toString('utf8')).toContain('{');
    // The front door decoded it: the gzip bytes on the wire.
    expect(gunzipSync(res.raw).toString('utf8')).toContain('{');
  });
});

describe('header encoding at the boundary', () => {
  // The core's identity header value for "Zoë": UTF-8 bytes, one char per byte.
  const bytes = Buffer.from('Zoë', 'utf8').toString('latin1');
  const app = new Hono<Env>().get('/', (c) => c.text('ok', 200, { 'X-Forwarded-Displayname': bytes }));
  // The same cast as functions/runtime.ts: the two libraries type payload 2.0 slightly differently.
  const honoAlone = handle(app) as unknown as FrontDoorHandler;
  const doors: FrontDoor[] = [];
  const through = async (handler: FrontDoorHandler) => {
    const door = await startFrontDoor({
      kind: 'functionUrl',
      awsHost: 'abc.lambda-url.us-east-1.on.aws',
      route: () => ({ handler, name: 'app', routeKey: '$default' }),
      tls: { cert: deployment.pki.serverCertPEM, key: deployment.pki.serverKeyPEM },
    });
    doors.push(door);
    return doorRequest(door, deployment.pki.caPEM, { path: '/' });
  };
  afterAll(async () => {
    await Promise.all(doors.map((d) => d.close()));
  });

  it('hono alone returns the byte string unchanged, which a JSON result would double-encode', async () => {
    // Act
    const res = await through(honoAlone);

    // Assess: "ZoÃ«" in the JSON result leaves the front door as C3 83 C2 AB, not C3 AB.
    expect(res.result?.headers?.['x-forwarded-displayname']).toBe('ZoÃ«');
    expect(Buffer.from(res.headers['x-forwarded-displayname'] ?? '', 'latin1').toString('hex')).toBe('5a6fc383c2ab');
  });

  it('lambdaHandler returns the text those bytes encode, which the front door writes as those bytes', async () => {
    // Act
    const res = await through(lambdaHandler(app) as FrontDoorHandler);

    // Assess
    expect(res.result?.headers?.['x-forwarded-displayname']).toBe('Zoë');
    expect(Buffer.from(res.headers['x-forwarded-displayname'] ?? '', 'latin1')).toEqual(Buffer.from(bytes, 'latin1'));
  });
});

function never(): never {
  throw new Error('the config has no portal');
}
