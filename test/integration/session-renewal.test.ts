/**
 * Sessions that stay alive while the user is (issue 14 §3): `sessionMaxLifetime` extends a session in use,
 * `revalidateInterval` re-validates it with the dev IdP (refresh-token grant, else `prompt=none`). The server's clock
 * is injected and moved by minutes; the IdP keeps real time (its tokens are checked by openid-client in real time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdpOptions } from '../../dev/idp.js';
import { type Browser, basicConfig, type Hop, type Stack, startStack } from '../helpers/stack.js';

const APP = 'https://app.example.com/dashboard';
const RENEW = 'https://auth.example.com/portals/main/oauth2/renew?';
const MINUTE = 60_000;
const JSON_ACCEPT = { Accept: 'application/json' };

/** A dev IdP whose accounts can be disabled: `findAccount` then finds nothing, as for a deleted user. */
function idpWithDisabling(disabled: Set<string>, refreshTokens: boolean): Partial<DevIdpOptions> {
  return {
    extra: {
      findAccount: async (_ctx, id) =>
        disabled.has(id) ? undefined : { accountId: id, claims: async () => ({ sub: id, name: `User ${id}` }) },
      // Pocket ID issues refresh tokens to its OIDC clients; oidc-provider does so only for offline_access by default.
      ...(refreshTokens ? { issueRefreshToken: async () => true } : {}),
    },
  };
}

/** Opens the app and follows every redirect: the last hop is the app's check (200) or the IdP's login page. */
async function open(b: Browser): Promise<{ hops: Hop[]; last: Hop; renewed: boolean; toIdp: boolean }> {
  const hops = await b.navigate(APP);
  const last = hops.at(-1) as Hop;
  return {
    hops,
    last,
    renewed: hops.some((h) => h.url.startsWith(RENEW)),
    toIdp: hops.some((h) => h.url.includes('/portals/main/signin')),
  };
}

describe('with refresh tokens: extension up to sessionMaxLifetime and re-validation by refresh-token grant', () => {
  let stack: Stack;
  let now = Date.now();
  const disabled = new Set<string>();

  beforeAll(async () => {
    stack = await startStack({
      config: (issuer) =>
        basicConfig(issuer, {
          portal: { sessionLifetime: '1h', sessionMaxLifetime: '3h', revalidateInterval: '20m' },
        }),
      idp: idpWithDisabling(disabled, true),
      now: () => now,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('keeps an active session past sessionLifetime, and never past sessionMaxLifetime', async () => {
    // Prepare
    const b = stack.browser();
    const start = now;
    await b.login(APP, 'alice');
    const statuses: number[] = [];
    let renewals = 0;

    // Act: the user opens a page every 15 minutes for just under three hours.
    for (let t = 15; t < 180; t += 15) {
      now = start + t * MINUTE;
      const visit = await open(b);
      statuses.push(visit.last.status);
      if (visit.renewed) renewals++;
      expect(visit.toIdp).toBe(false);
    }
    now = start + 180 * MINUTE;
    const atCap = await open(b);

    // Assess: every page opened (long past the 1h lifetime) through silent renewals; at the cap, sign in again.
    expect(statuses).toEqual(Array(11).fill(200));
    expect(renewals).toBeGreaterThanOrEqual(5);
    expect(atCap.hops[0]?.status).toBe(303);
    expect(atCap.hops[0]?.headers.get('location')).toMatch(/^https:\/\/auth\.example\.com\/portals\/main\/signin\?/);
    expect(atCap.toIdp).toBe(true);
    expect(stack.logs.some((l) => l.includes('"Session renewed"') && l.includes('"extended":true'))).toBe(true);
  });

  it('re-sets the session cookie with the new lifetime when it extends, and sends a browser through renew once', async () => {
    // Prepare
    const b = stack.browser();
    const start = now;
    await b.login(APP, 'alice');
    const before = await b.cookie('https://app.example.com/', 'tf_sess_main');
    now = start + 40 * MINUTE; // past half of the 1h lifetime: due

    // Act
    const check = await b.request(APP);
    const renew = await b.request(check.headers.get('location') ?? '');
    const after = await b.request(APP);

    // Assess
    expect(check.status).toBe(303);
    expect(check.headers.get('location')).toBe(`${RENEW}return=${Buffer.from(APP).toString('base64url')}`);
    expect(check.headers.getSetCookie()).toEqual([]);
    expect(renew.status).toBe(303);
    expect(renew.headers.get('location')).toBe(APP);
    const cookie = renew.headers.getSetCookie().find((c) => c.startsWith('tf_sess_main='));
    // The same token, now valid for 1h from the renewal.
    expect(cookie).toBe(
      `tf_sess_main=${before?.value}; Max-Age=3599; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax`,
    );
    expect(after.status).toBe(200);
  });

  it('answers a non-browser request with 200 while renewal is only due, and does not redirect it', async () => {
    // Prepare
    const b = stack.browser();
    const start = now;
    await b.login(APP, 'alice');
    now = start + 12 * MINUTE; // re-validation due (half of 20m), not yet required

    // Act
    const xhr = await b.request(APP, { headers: JSON_ACCEPT });

    // Assess
    expect(xhr.status).toBe(200);
  });

  it('ends access for a user disabled at the IdP: the refresh grant fails, the session is revoked, 303 to sign in', async () => {
    // Prepare
    const b = stack.browser();
    const start = now;
    await b.login(APP, 'bob');
    now = start + 5 * MINUTE;
    expect((await open(b)).last.status).toBe(200);

    // Act
    disabled.add('bob');
    now = start + 11 * MINUTE; // past half of the 20m interval: re-validation due
    const visit = await open(b);
    const xhr = await b.request(APP, { headers: JSON_ACCEPT });

    // Assess
    expect(visit.renewed).toBe(true);
    const renew = visit.hops.find((h) => h.url.startsWith(RENEW));
    expect(renew?.status).toBe(303);
    expect(renew?.headers.get('location')).toBe(APP);
    expect(renew?.headers.getSetCookie()).toContain(
      'tf_sess_main=; Max-Age=0; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax',
    );
    expect(visit.toIdp).toBe(true);
    expect(xhr.status).toBe(401);
    expect(stack.logs.some((l) => l.includes('the refresh-token grant was refused'))).toBe(true);
  });

  it('refuses a non-browser client once revalidateInterval has passed without re-validation (401)', async () => {
    // Prepare: the user only polls an API, so no navigation ever renews the session.
    const b = stack.browser();
    const start = now;
    await b.login(APP, 'carol');
    disabled.add('carol');

    // Act
    now = start + 20 * MINUTE - 1;
    const justBefore = await b.request(APP, { headers: JSON_ACCEPT });
    now = start + 20 * MINUTE;
    const atDeadline = await b.request(APP, { headers: JSON_ACCEPT });

    const token = (await b.cookie('https://app.example.com/', 'tf_sess_main'))?.value ?? '';
    const bearer = await b.request('https://auth.example.com/api/portals/main/verify', {
      headers: { Authorization: `Bearer ${token}` },
    });

    // Assess
    expect(justBefore.status).toBe(200);
    expect(atDeadline.status).toBe(401);
    expect(JSON.parse(atDeadline.body)).toMatchObject({ error: 'Not authenticated' });
    // The bearer API does not accept it either.
    expect(bearer.status).toBe(401);
    expect(JSON.parse(bearer.body)).toEqual({ error: 'Access token is invalid' });
  });
});

describe('without refresh tokens: re-validation by a silent prompt=none round trip', () => {
  let stack: Stack;
  let now = Date.now();
  const disabled = new Set<string>();

  beforeAll(async () => {
    stack = await startStack({
      config: (issuer) => basicConfig(issuer, { portal: { revalidateInterval: '20m' } }),
      idp: idpWithDisabling(disabled, false),
      now: () => now,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('re-validates through the IdP without interaction and keeps the same session', async () => {
    // Prepare
    const b = stack.browser();
    const start = now;
    await b.login(APP, 'alice');
    const token = (await b.cookie('https://app.example.com/', 'tf_sess_main'))?.value;

    // Act
    now = start + 11 * MINUTE;
    const visit = await open(b);
    now = start + 25 * MINUTE; // past the first deadline: only the re-validation kept it alive
    const later = await b.request(APP, { headers: JSON_ACCEPT });

    // Assess
    expect(visit.renewed).toBe(true);
    const authorize = visit.hops.find((h) => h.url.includes('/authorize?'));
    expect(new URL(authorize?.url ?? 'http://x/').searchParams.get('prompt')).toBe('none');
    expect(visit.last.status).toBe(200);
    expect(visit.toIdp).toBe(false);
    expect((await b.cookie('https://app.example.com/', 'tf_sess_main'))?.value).toBe(token);
    expect(later.status).toBe(200);
  });

  it('ends the session when the IdP refuses the silent sign-in of a disabled user, then asks to sign in', async () => {
    // Prepare
    const b = stack.browser();
    const start = now;
    await b.login(APP, 'dave');
    disabled.add('dave');

    // Act
    now = start + 11 * MINUTE;
    const visit = await open(b);

    // Assess
    const callback = visit.hops.find(
      (h) => h.url.includes('/oauth2/callback?') && /[?&]error=(login|interaction)_required&/.test(h.url),
    );
    expect(callback?.status).toBe(303);
    expect(callback?.headers.get('location')).toBe(APP);
    expect(visit.toIdp).toBe(true);
    expect(visit.last.status).toBe(200); // the IdP's login page
    expect(visit.last.url.startsWith(stack.idp.issuer)).toBe(true);
  });
});

describe('when the provider cannot be reached during a re-validation', () => {
  let stack: Stack;
  let now = Date.now();

  beforeAll(async () => {
    stack = await startStack({
      config: (issuer) => basicConfig(issuer, { portal: { revalidateInterval: '20m' } }),
      idp: idpWithDisabling(new Set(), true),
      now: () => now,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers 502 and ends nothing: the session still works until its re-validation deadline', async () => {
    // Prepare
    const b = stack.browser();
    const start = now;
    await b.login(APP, 'erin');
    await stack.idp.close();
    now = start + 11 * MINUTE;

    // Act
    const check = await b.request(APP);
    const renew = await b.request(check.headers.get('location') ?? '');
    const xhr = await b.request(APP, { headers: JSON_ACCEPT });
    now = start + 20 * MINUTE;
    const pastDeadline = await b.request(APP, { headers: JSON_ACCEPT });

    // Assess
    expect(check.status).toBe(303);
    expect(renew.status).toBe(502);
    expect(renew.headers.getSetCookie()).toEqual([]);
    expect(xhr.status).toBe(200);
    expect(pastDeadline.status).toBe(401);
  });
});
