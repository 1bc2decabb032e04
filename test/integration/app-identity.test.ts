import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  type JSONWebKeySet,
  jwtVerify,
} from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rotateStoredKeys } from '../../shared/identity/keys.js';
import { GENERATED_KEYS_FILE } from '../../shared/identity/standalone-keys.js';
import { basicConfig, type Stack, startStack } from '../helpers/stack.js';

const APP = 'https://app.example.com/dashboard';

describe('the session token never reaches the apps (stripAuthCookies)', () => {
  let stack: Stack;
  let keepAll: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: (issuer) => basicConfig(issuer) });
    keepAll = await startStack({ config: (issuer) => basicConfig(issuer, { portal: { stripAuthCookies: false } }) });
  });
  afterAll(async () => {
    await stack?.close();
    await keepAll?.close();
  });

  it('answers a 200 with the Cookie header minus the session and state cookies, identity headers intact', async () => {
    // Prepare
    const b = stack.browser();
    await b.login(APP);
    await b.jar.setCookie('theme=dark; Domain=example.com; Path=/', APP);
    await b.jar.setCookie('tf_state_main_leftover=x; Domain=example.com; Path=/', APP);
    await b.jar.setCookie('app_session=s3cr%3Bet; Path=/', APP);

    // Act
    const hop = await b.request(APP);

    // Assess
    expect(hop.status).toBe(200);
    expect(hop.headers.get('x-forwarded-user')).toBe('alice');
    expect(hop.headers.get('cookie')).toBe('theme=dark; app_session=s3cr%3Bet');
  });

  it('answers no Cookie header when the browser sent only auth cookies (the proxy then removes the header)', async () => {
    // Prepare
    const b = stack.browser();
    await b.login(APP);

    // Act
    const hop = await b.request(APP);

    // Assess
    expect(hop.status).toBe(200);
    expect((await b.jar.getCookieString(APP)).startsWith('tf_sess_main=')).toBe(true);
    expect(hop.headers.has('cookie')).toBe(false);
  });

  it('answers no Cookie header at all with stripAuthCookies: false', async () => {
    // Prepare
    const b = keepAll.browser();
    await b.login(APP);
    await b.jar.setCookie('theme=dark; Domain=example.com; Path=/', APP);

    // Act
    const hop = await b.request(APP);

    // Assess
    expect(hop.status).toBe(200);
    expect(hop.headers.has('cookie')).toBe(false);
  });

  it('answers no Cookie header on a 303 to sign-in', async () => {
    // Prepare
    const b = stack.browser();
    await b.jar.setCookie('theme=dark; Domain=example.com; Path=/', APP);

    // Act
    const hop = await b.request(APP, { headers: { Accept: 'text/html' } });

    // Assess
    expect(hop.status).toBe(303);
    expect(hop.headers.has('cookie')).toBe(false);
  });
});

describe('the signed identity assertion (conformance: verified with jose against the served JWKS)', () => {
  const ISSUER = 'https://auth.example.com/portals/main';
  const AUDIENCE = 'https://app.example.com';
  let dataDir: string;
  let clock = Date.UTC(2026, 11, 4, 12, 0, 0);
  let stack: Stack | undefined;

  const start = (portal: object = {}, extra: object = {}) =>
    startStack({
      config: (issuer) => ({
        ...basicConfig(issuer, { portal: { identityAssertion: { enabled: true }, ...portal } }),
        defaultPortal: 'main',
        sessions: { embeddedPath: dataDir },
        ...extra,
      }),
      idp: { users: { alice: { name: 'Alice Example', email: 'alice@example.com', groups: ['admins', 'dev'] } } },
      now: () => clock,
    });

  async function jwksOf(s: Stack, path = '/portals/main/.well-known/jwks.json') {
    // As an app fetches it: straight from the auth host (the test browser would route a short path as an app URL).
    const res = await fetch(`${s.server.url}${path}`, { headers: { 'X-Forwarded-Host': 'auth.example.com' } });
    const body = await res.text();
    return { res, jwks: JSON.parse(body) as JSONWebKeySet };
  }

  async function assertionFor(s: Stack, url = `${AUDIENCE}/dashboard`): Promise<string> {
    const b = s.browser();
    await b.login(url);
    const hop = await b.request(url);
    expect(hop.status).toBe(200);
    return hop.headers.get('x-forward-auth-assertion') ?? '';
  }

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tfa-assertion-'));
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('carries an ES256 JWT for the app origin that verifies against the JWKS, with the profile claims', async () => {
    // Prepare
    stack = await start();

    // Act
    const jwt = await assertionFor(stack, 'https://app.example.com:443/dashboard?x=1');
    const { res, jwks } = await jwksOf(stack);
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['ES256'],
      currentDate: new Date(clock),
    });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(jwks.keys).toHaveLength(2);
    for (const k of jwks.keys) expect(Object.keys(k).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: jwks.keys[0]?.kid, typ: 'JWT' });
    const iat = Math.floor(clock / 1000);
    expect(payload).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'alice',
      provider: 'pocketid',
      email: 'alice@example.com',
      name: 'Alice Example',
      groups: ['admins', 'dev'],
      iat,
      exp: iat + 300,
    });
  });

  it('rejects an assertion minted for another origin', async () => {
    // Prepare
    stack = await start();
    const jwt = await assertionFor(stack, 'https://other.example.com/');
    const { jwks } = await jwksOf(stack);

    // Act
    const verify = jwtVerify(jwt, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(clock),
    });

    // Assess
    await expect(verify).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
  });

  it('keeps verifying across a key rotation: the next key was published before it signs, the old one stays', async () => {
    // Prepare: an assertion and the JWKS before the rotation (the generated keys live in the data directory).
    stack = await start();
    const before = await assertionFor(stack);
    const oldJwks = (await jwksOf(stack)).jwks;
    await stack.close();
    stack = undefined;
    const file = join(dataDir, GENERATED_KEYS_FILE);
    writeFileSync(file, rotateStoredKeys(readFileSync(file, 'utf8'), file));

    // Act
    stack = await start();
    const after = await assertionFor(stack);
    const newJwks = (await jwksOf(stack)).jwks;
    const opts = { issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(clock) };

    // Assess: an app with the old JWKS verifies the new assertion, one with the new JWKS the old assertion.
    expect(decodeProtectedHeader(after).kid).toBe(oldJwks.keys[1]?.kid);
    expect(newJwks.keys.map((k) => k.kid)).toEqual([oldJwks.keys[1]?.kid, expect.any(String), oldJwks.keys[0]?.kid]);
    await expect(jwtVerify(after, createLocalJWKSet(oldJwks), opts)).resolves.toBeDefined();
    await expect(jwtVerify(before, createLocalJWKSet(newJwks), opts)).resolves.toBeDefined();
  });

  it('does not sign again for the same session and app until shortly before exp', async () => {
    // Prepare
    stack = await start({ identityAssertion: { enabled: true, lifetime: '2m' } });
    const b = stack.browser();
    await b.login(`${AUDIENCE}/`);

    // Act
    const first = (await b.request(`${AUDIENCE}/a`)).headers.get('x-forward-auth-assertion');
    clock += 89_000;
    const cached = (await b.request(`${AUDIENCE}/b`)).headers.get('x-forward-auth-assertion');
    clock += 1_000;
    const renewed = (await b.request(`${AUDIENCE}/c`)).headers.get('x-forward-auth-assertion');

    // Assess: 2m lifetime, renewed once less than 30s (a quarter of it) is left.
    expect(cached).toBe(first);
    expect(renewed).not.toBe(first);
    expect(decodeJwt(renewed ?? '').iat).toBe(Math.floor(clock / 1000));
  });

  it('never lets an assertion outlive its session', async () => {
    // Prepare
    stack = await start({ sessionLifetime: '1m', identityAssertion: { enabled: true, lifetime: '1h' } });

    // Act
    const jwt = await assertionFor(stack);

    // Assess
    const { iat, exp } = decodeJwt(jwt);
    expect((exp ?? 0) - (iat ?? 0)).toBeLessThanOrEqual(60);
  });

  it('serves the JWKS on the default-portal short route, and 404 where the portal has no assertion', async () => {
    // Prepare
    stack = await start();
    const off = await startStack({ config: (issuer) => basicConfig(issuer) });

    // Act
    const short = await jwksOf(stack, '/.well-known/jwks.json');
    const long = await jwksOf(stack);
    const none = await jwksOf(off);
    await off.close();

    // Assess
    expect(short.jwks).toEqual(long.jwks);
    expect(none.res.status).toBe(404);
    expect(none.jwks).toEqual({ error: 'Identity assertions are not enabled for this portal' });
  });

  it('signs with the first key of identityAssertion.keyFile and publishes the second', async () => {
    // Prepare
    const pair1 = await generateKeyPair('ES256', { extractable: true });
    const pair2 = await generateKeyPair('ES256', { extractable: true });
    const keyFile = join(dataDir, 'keys.pem');
    writeFileSync(keyFile, `${await exportPKCS8(pair1.privateKey)}\n${await exportPKCS8(pair2.privateKey)}\n`);
    stack = await start({ identityAssertion: { enabled: true, keyFile } });

    // Act
    const jwt = await assertionFor(stack);
    const { jwks } = await jwksOf(stack);

    // Assess
    await expect(
      jwtVerify(jwt, pair1.publicKey, { issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(clock) }),
    ).resolves.toBeDefined();
    expect(jwks.keys[1]?.x).toBe((await exportJWK(pair2.publicKey)).x);
  });
});

describe('sessions stay on the domain they were issued for', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: (issuer) =>
        basicConfig(issuer, {
          server: {
            domains: [
              { domain: 'example.com', authHost: 'auth.example.com' },
              { domain: 'sub.example.com', authHost: 'auth.sub.example.com' },
              { domain: 'example.org', authHost: 'auth.example.org' },
            ],
          },
        }),
    });
  });
  afterAll(() => stack?.close());

  it('returns 303 to sign in on the other domain for a session cookie lifted from example.com, clearing nothing', async () => {
    // Prepare: a session issued on example.com, replayed by hand against an app on example.org.
    const b = stack.browser();
    await b.login('https://app.example.com/');
    const token = (await b.jar.getCookies('https://app.example.com/')).find((c) => c.key === 'tf_sess_main')?.value;
    const thief = stack.browser();
    await thief.jar.setCookie(`tf_sess_main=${token}; Domain=example.org; Path=/`, 'https://app.example.org/');

    // Act
    const hop = await thief.request('https://app.example.org/payroll', { headers: { Accept: 'text/html' } });
    const stillHome = await b.request('https://app.example.com/');

    // Assess
    expect(hop.status).toBe(303);
    expect(hop.headers.get('location')).toMatch(/^https:\/\/auth\.example\.org\/portals\/main\/signin\?state=/);
    expect(hop.headers.getSetCookie().filter((c) => c.startsWith('tf_sess_main='))).toEqual([]);
    expect(stillHome.status).toBe(200);
    expect(stack.logs.some((l) => l.includes('Session was issued for another domain'))).toBe(true);
    expect(stack.logs.some((l) => l.includes(token ?? 'no-token'))).toBe(false);
  });

  it('accepts a session stored before sessions recorded their domain, on any configured domain', async () => {
    // Prepare: an item without `domain`, as every session written by an earlier release.
    const token = await stack.server.sessions.create({
      portal: 'main',
      provider: 'pocketid',
      profile: { id: 'legacy', name: { full: 'Legacy User' } },
      createdAt: Date.now(),
      expiresAt: Date.now() + 3_600_000,
    });
    const b = stack.browser();
    await b.jar.setCookie(`tf_sess_main=${token}; Domain=example.org; Path=/`, 'https://app.example.org/');

    // Act
    const hop = await b.request('https://app.example.org/');

    // Assess
    expect(hop.status).toBe(200);
    expect(hop.headers.get('x-forwarded-user')).toBe('legacy');
  });

  it('makes a browser sign in again under a nested domain, then keeps both sessions working', async () => {
    // Prepare: signed in on example.com, whose cookie the browser also sends to *.sub.example.com.
    const b = stack.browser();
    await b.login('https://app.example.com/');

    // Act
    const first = await b.request('https://app.sub.example.com/', { headers: { Accept: 'text/html' } });
    await b.login('https://app.sub.example.com/');
    const sub = await b.request('https://app.sub.example.com/');
    const parent = await b.request('https://app.example.com/');

    // Assess
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toMatch(/^https:\/\/auth\.sub\.example\.com\/portals\/main\/signin/);
    expect(
      (await b.jar.getCookies('https://app.sub.example.com/')).filter((c) => c.key === 'tf_sess_main'),
    ).toHaveLength(2);
    expect(sub.status).toBe(200);
    expect(parent.status).toBe(200);
  });
});
