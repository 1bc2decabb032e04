import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawFetch } from '../helpers/raw-fetch.js';
import { type Browser, basicConfig, type Hop, type Stack, startStack } from '../helpers/stack.js';

const APP = 'https://app.example.com/dashboard?ref=email';
const STATE_QS = /^[A-Za-z0-9_-]{11}~[A-Za-z0-9_-]{16}$/;

function setCookies(hop: Hop | undefined): string[] {
  return hop?.headers.getSetCookie() ?? [];
}

function cookieNamed(hop: Hop | undefined, prefix: string): string | undefined {
  return setCookies(hop).find((c) => c.startsWith(prefix));
}

describe('forward-auth round trip, dedicated sub-domain mode', () => {
  let stack: Stack;
  let clock = Date.now();
  beforeAll(async () => {
    stack = await startStack({ config: (issuer) => basicConfig(issuer), now: () => clock });
  });
  afterAll(() => stack?.close());

  it('walks check → signin → provider → IdP → callback → check with upstream URL shapes and cookie attributes', async () => {
    // Prepare
    const b = stack.browser();

    // Act
    const hops = await b.login(APP);

    // Assess: 1. the forward-auth check sends the browser to sign-in on the auth host.
    const [check, signin, start] = hops;
    expect(check?.status).toBe(303);
    const signinUrl = new URL(check?.headers.get('location') ?? '');
    expect(`${signinUrl.origin}${signinUrl.pathname}`).toBe('https://auth.example.com/portals/main/signin');
    expect(signinUrl.searchParams.get('state')).toMatch(STATE_QS);
    const stateId = signinUrl.searchParams.get('state')?.split('~')[0];
    expect(cookieNamed(check, `tf_state_main_${stateId}=`)).toMatch(
      /^tf_state_main_[\w-]{11}=[\w-]+\.[\w-]+\.\d+; Max-Age=299; Domain=example\.com; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(Buffer.from(signinUrl.searchParams.get('return') ?? '', 'base64url').toString()).toBe(APP);
    // 2. a single provider: straight on to it, on the auth host, with the state and the return URL.
    expect(signin?.status).toBe(303);
    expect(signin?.headers.get('location')).toBe(
      `https://auth.example.com/portals/main/providers/pocketid?state=${signinUrl.searchParams.get('state')}&return=${signinUrl.searchParams.get('return')}`,
    );
    // 3. the provider start: PKCE S256, a nonce, our redirect_uri and upstream's state shape.
    expect(start?.status).toBe(303);
    const authorize = new URL(start?.headers.get('location') ?? '');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${stack.idp.issuer}/authorize`);
    expect(authorize.searchParams.get('redirect_uri')).toBe('https://auth.example.com/portals/main/oauth2/callback');
    expect(authorize.searchParams.get('client_id')).toBe('tfa-test');
    expect(authorize.searchParams.get('response_type')).toBe('code');
    expect(authorize.searchParams.get('scope')).toBe('openid profile email groups');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('nonce')).toMatch(/^[\w-]{22}$/);
    expect(authorize.searchParams.get('state')).toMatch(new RegExp(`^pocketid~${stateId}~[\\w-]{22}$`));
    // 4. the callback: 307 back to the exact return URL with the session cookie on the parent domain.
    const callback = hops.find((h) => h.url.startsWith('https://auth.example.com/portals/main/oauth2/callback'));
    expect(callback?.status).toBe(307);
    expect(callback?.headers.get('location')).toBe(APP);
    expect(cookieNamed(callback, 'tf_sess_main=')).toMatch(
      /^tf_sess_main=[\w-]{43}; Max-Age=7199; Domain=example\.com; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(cookieNamed(callback, `tf_state_main_${stateId}=`)).toMatch(
      /^tf_state_main_[\w-]{11}=; Max-Age=0; Domain=example\.com/,
    );
    // 5. back at the app: 200 with the identity headers.
    const final = hops.at(-1);
    expect(final?.url).toBe(APP);
    expect(final?.status).toBe(200);
    expect(final?.headers.get('x-forwarded-user')).toBe('alice');
    expect(final?.headers.get('x-forwarded-displayname')).toBe('Alice Example');
    expect(final?.headers.get('x-authenticated-user')).toBe('{"provider":"pocketid","portal":"main","user":"alice"}');
    expect(final?.body).toBe("You are authenticated with provider 'Pocket ID' as 'Alice Example' ('alice')");
  });

  it('rejects a replayed callback with 401 and no new session', async () => {
    const b = stack.browser();
    const hops = await b.login(APP);
    const callback = hops.find((h) => h.url.includes('/oauth2/callback'));
    expect(callback?.status).toBe(307);

    // The attacker also has the state cookie the first callback consumed.
    const stateCookie = cookieNamed(hops[0], 'tf_state_main_') ?? '';
    await b.jar.setCookie(stateCookie, 'https://auth.example.com/');
    const replay = await b.request(callback?.url ?? '');

    expect(replay.status).toBe(401);
    expect(replay.body).toBe('Error: Login state not found or already used');
    expect(cookieNamed(replay, 'tf_sess_main=')).toBeUndefined();
  });

  it('rejects a callback followed by another browser (state bound to the first browser)', async () => {
    // Prepare: B visited the same app URL, so it holds a state cookie with the same id but its own binding secret;
    // A logs in at the IdP, and its callback URL is then opened by B, and by a browser with no state cookie.
    const a = stack.browser();
    const b = stack.browser();
    await b.navigate(APP, 1);
    const aHops = await a.navigate(APP, 3);
    const callbackUrl = await idpLoginUntilCallback(a, aHops.at(-1)?.headers.get('location') ?? '');

    // Act
    const stolen = await b.request(callbackUrl);
    const noCookie = await stack.browser().request(callbackUrl);

    // Assess
    // Login states are keyed by the browser binding: B's secret addresses B's own (absent) login state.
    expect(stolen.status).toBe(401);
    expect(stolen.body).toBe('Error: Login state not found or already used');
    expect(cookieNamed(stolen, 'tf_sess_main=')).toBeUndefined();
    expect(noCookie.status).toBe(401);
    expect(noCookie.body).toBe('Error: State cookie not found');
    // The attempts did not burn the login: the browser it belongs to still completes it.
    const own = await a.request(callbackUrl);
    expect(own.status).toBe(307);
    expect(own.headers.get('location')).toBe(APP);
  });

  it('logs out with POST, revoking the old cookie value at once', async () => {
    const b = stack.browser();
    await b.login(APP);
    const token = (await b.cookie(APP, 'tf_sess_main'))?.value ?? '';
    expect(token).toMatch(/^[\w-]{43}$/);

    const logout = await b.request('https://auth.example.com/portals/main/logout', { method: 'POST' });

    expect(logout.status).toBe(303);
    expect(logout.headers.get('location')).toBe('https://auth.example.com/portals/main?logout=1&provider=pocketid');
    expect(logout.body).toBe(
      "You've been logged out. Redirecting to portal: https://auth.example.com/portals/main?logout=1&provider=pocketid",
    );
    expect(cookieNamed(logout, 'tf_sess_main=')).toMatch(/^tf_sess_main=; Max-Age=0; Domain=example\.com/);
    // The copied cookie value no longer works, even though this process cached it a moment ago.
    const thief = stack.browser();
    await thief.jar.setCookie(`tf_sess_main=${token}; Domain=example.com; Path=/; Secure`, APP);
    const check = await thief.request(APP);
    expect(check.status).toBe(303);
    expect(cookieNamed(check, 'tf_sess_main=')).toMatch(/Max-Age=0/);
  });

  it('completes two logins started in parallel tabs, each back to its own URL', async () => {
    const b = stack.browser();
    const one = await b.navigate('https://app.example.com/one', 3);
    const two = await b.navigate('https://two.example.com/two?x=1', 3);
    const authorizeOne = one.at(-1)?.headers.get('location') ?? '';
    const authorizeTwo = two.at(-1)?.headers.get('location') ?? '';

    const finishTwo = await b.login(authorizeTwo);
    const finishOne = await b.login(authorizeOne);

    expect(finishTwo.at(-1)?.url).toBe('https://two.example.com/two?x=1');
    expect(finishTwo.at(-1)?.status).toBe(200);
    expect(finishOne.at(-1)?.url).toBe('https://app.example.com/one');
    expect(finishOne.at(-1)?.status).toBe(200);
  });

  it('sends an expired session back to sign-in and clears its cookie', async () => {
    const b = stack.browser();
    await b.login(APP);
    clock += 2 * 3600_000 + 1000;
    try {
      const check = await b.request(APP);
      expect(check.status).toBe(303);
      expect(check.headers.get('location')).toMatch(/^https:\/\/auth\.example\.com\/portals\/main\/signin\?state=/);
      expect(cookieNamed(check, 'tf_sess_main=')).toMatch(/^tf_sess_main=; Max-Age=0/);
    } finally {
      clock = Date.now();
    }
  });

  it('clears a malformed session cookie and logs it as suspicious', async () => {
    const b = stack.browser();
    await b.jar.setCookie('tf_sess_main=not-a-token%3Cscript%3E; Domain=example.com; Path=/; Secure', APP);

    const check = await b.request(APP);

    expect(check.status).toBe(303);
    expect(cookieNamed(check, 'tf_sess_main=')).toMatch(/^tf_sess_main=; Max-Age=0/);
    expect(stack.logs.some((l) => l.includes('Session cookie may be malformed or tampered with'))).toBe(true);
  });

  it('rejects a host that matches no configured domain with 400 and no cookies', async () => {
    const check = await stack.browser().request('https://app.evil.com/x');

    expect(check.status).toBe(400);
    expect(check.body).toBe('Error: Request host is not associated with this auth server');
    expect(setCookies(check)).toEqual([]);
  });

  it('serves the profile as text and JSON (with `locale`, not upstream’s `local`)', async () => {
    const b = stack.browser();
    await b.login(APP);

    const text = await b.request('https://auth.example.com/portals/main/profile');
    const json = await b.request('https://auth.example.com/portals/main/profile.json');
    const anonymous = await stack.browser().request('https://auth.example.com/portals/main/profile.json');

    expect(text.status).toBe(200);
    expect(text.body).toBe(
      [
        'Authenticated',
        '',
        'Provider: pocketid',
        'ID: alice',
        'Name:',
        '   Full Name: Alice Example',
        '   Preferred Username: alice',
        '   First: Alice',
        '   Last: Example',
        'Email:',
        '   Address: alice@example.com',
        '   Verified: true',
        'Locale: en-GB',
        'Groups:',
        '  - admins',
        '  - users',
        '',
      ].join('\n'),
    );
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(json.body)).toEqual({
      authenticated: true,
      provider: 'pocketid',
      id: 'alice',
      name: { full: 'Alice Example', preferredUsername: 'alice', first: 'Alice', last: 'Example' },
      email: { address: 'alice@example.com', verified: true },
      locale: 'en-GB',
      groups: ['admins', 'users'],
    });
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toEqual({ error: 'Not authenticated' });
  });

  it('evaluates ?if= and X-Forward-Auth-If conditions: 200, 403, and 400 for bad or doubled rules', async () => {
    const b = stack.browser();
    await b.login(APP);
    const token = (await b.cookie(APP, 'tf_sess_main'))?.value ?? '';
    const ask = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.server.url}/portals/main${query}`, {
        redirect: 'manual',
        headers: {
          'X-Forwarded-Host': 'app.example.com',
          'X-Forwarded-Proto': 'https',
          'X-Forwarded-Uri': '/',
          Cookie: `tf_sess_main=${token}`,
          ...headers,
        },
      });

    const ok = await ask(`?if=${encodeURIComponent('Group("admins") && EmailVerified()')}`);
    const denied = await ask(`?if=${encodeURIComponent('Group("nope")')}`);
    const header = await ask('', { 'X-Forward-Auth-If': 'Eq("email", "bob@example.com")' });
    const invalid = await ask(`?if=${encodeURIComponent('"email" == "x"')}`);
    const both = await ask('?if=Group(%22admins%22)', { 'X-Forward-Auth-If': 'Group("admins")' });

    expect(ok.status).toBe(200);
    expect(denied.status).toBe(403);
    expect(await denied.text()).toBe('Error: Access denied per authorization rules');
    expect(header.status).toBe(403);
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toBe('Error: Invalid authorization rules');
    expect(both.status).toBe(400);
    expect(await both.text()).toBe(
      "Error: Authorization condition passed in both 'if' query string arg and 'X-Forward-Auth-If' header",
    );
  });

  it('marks every forward-auth answer Cache-Control: no-store (200, 303, 400, 401, 403)', async () => {
    // Prepare: a cache in front of verify must never replay one user's identity headers (or 403) to another.
    const b = stack.browser();
    await b.login(APP);
    const token = (await b.cookie(APP, 'tf_sess_main'))?.value ?? '';
    const check = (query: string, headers: Record<string, string>) =>
      rawFetch(`${stack.server.url}/portals/main${query}`, {
        headers: {
          'X-Forwarded-Host': 'app.example.com',
          'X-Forwarded-Proto': 'https',
          'X-Forwarded-Uri': '/',
          ...headers,
        },
      });

    // Act
    const answers = await Promise.all([
      check('', { Cookie: `tf_sess_main=${token}` }),
      check('', { Accept: 'text/html' }),
      check('', { 'X-Forwarded-Host': 'evil.example.net' }),
      check('', { Accept: 'application/json' }),
      check(`?if=${encodeURIComponent('Group("nope")')}`, { Cookie: `tf_sess_main=${token}` }),
    ]);

    // Assess
    expect(answers.map((r) => r.status)).toEqual([200, 303, 400, 401, 403]);
    expect(answers.map((r) => r.headers.get('cache-control'))).toEqual(Array(5).fill('no-store'));
  });

  it('answers the bearer verify API as upstream (routes-api cases)', async () => {
    const b = stack.browser();
    await b.login(APP);
    const token = (await b.cookie(APP, 'tf_sess_main'))?.value ?? '';
    const api = (auth: string | undefined, portal = 'main', host = 'auth.example.com') =>
      fetch(`${stack.server.url}/api/portals/${portal}/verify`, {
        headers: { 'X-Forwarded-Host': host, ...(auth === undefined ? {} : { Authorization: auth }) },
      });

    for (const prefix of ['Bearer ', 'bearer ', 'BEARER ', '']) {
      const res = await api(`${prefix}${token}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const body = (await res.json()) as { claims: Record<string, unknown> };
      expect(body).toMatchObject({ valid: true, portal: 'main', provider: 'pocketid' });
      expect(body.claims).toMatchObject({
        sub: 'alice',
        tf_provider: 'pocketid',
        aud: ['example.com'],
        email: 'alice@example.com',
        groups: ['admins', 'users'],
      });
    }
    const missing = await api(undefined);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: 'Not authenticated' });
    for (const bad of ['Bearer garbage', `Bearer ${'A'.repeat(43)}`]) {
      const res = await api(bad);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'Access token is invalid' });
    }
    expect((await api(`Bearer ${token}`, 'nope')).status).toBe(404);
    expect((await api(`Bearer ${token}`, 'main', 'app.evil.com')).status).toBe(400);
  });

  it('propagates ?logout=1 to sign-in, where the chooser page shows the banner even for one provider', async () => {
    const b = stack.browser();
    const [check] = await b.navigate('https://auth.example.com/portals/main?logout=1', 1);
    const location = check?.headers.get('location') ?? '';
    expect(location).toMatch(/\/signin\?state=[\w-]{11}~[\w-]{16}&return=[\w-]+&logout=1$/);

    const page = await b.request(location);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.body).toContain('Signed out. You can sign back in with the button below.');
  });

  it('restarts at the portal when the sign-in state does not match a cookie', async () => {
    const res = await stack
      .browser()
      .request('https://auth.example.com/portals/main/signin?state=AAAAAAAAAAA~BBBBBBBBBBBBBBBB');

    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://auth.example.com/portals/main');
  });

  it('answers 404 for unknown portals and providers, 204 on /healthz', async () => {
    const b = stack.browser();
    const portal = await b.request('https://auth.example.com/portals/nope/signin');
    const provider = await b.request('https://auth.example.com/portals/main/providers/nope?state=a~b');
    const health = await fetch(`${stack.server.url}/healthz`);

    expect(portal.status).toBe(404);
    expect(portal.body).toBe('Error: Portal not found');
    expect(provider.status).toBe(404);
    expect(provider.body).toBe('Error: Provider not found');
    expect(health.status).toBe(204);
    expect(await health.text()).toBe('');
  });

  it('never writes cookies, codes, states or tokens to the log', async () => {
    const b = stack.browser();
    const hops = await b.login(APP);
    const token = (await b.cookie(APP, 'tf_sess_main'))?.value ?? '';
    const callback = new URL(hops.find((h) => h.url.includes('/oauth2/callback'))?.url ?? '');
    const all = stack.logs.join('\n');

    expect(all).not.toContain(token);
    expect(all).not.toContain(callback.searchParams.get('code') ?? 'missing');
    expect(all).not.toContain(callback.searchParams.get('state')?.split('~')[2] ?? 'missing');
    expect(all).not.toContain('test-client-secret');
    expect(all).toContain('"path":"/portals/main/oauth2/callback?code=***');
  });
});

/** Completes the IdP login for a given authorize URL and returns the callback URL without following it. */
async function idpLoginUntilCallback(b: Browser, authorize: string): Promise<string> {
  const page = (await b.navigate(authorize)).at(-1);
  const action = /action="([^"]+)"/.exec(page?.body ?? '')?.[1] ?? '';
  let res = await b.request(new URL(action, page?.url).href, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'prompt=login&login=alice&password=x',
  });
  for (let i = 0; i < 10; i++) {
    const loc = new URL(res.headers.get('location') ?? '', res.url).href;
    if (loc.includes('/oauth2/callback')) return loc;
    res = await b.request(loc);
  }
  throw new Error('callback not reached');
}

describe('forward-auth round trip, sub-path mode', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: (issuer) => {
        const c = basicConfig(issuer, { server: { basePath: '/auth', domains: undefined } });
        return { ...c, server: { basePath: '/auth' } };
      },
    });
  });
  afterAll(() => stack?.close());

  it('keeps every URL on the request host under basePath, with cookies for that host', async () => {
    const b = stack.browser({
      forwardAuthPath: '/auth/portals/main',
      isAuthUrl: (u) => u.pathname.startsWith('/auth/'),
    });

    const hops = await b.login('https://example.com/app/page?q=1');

    const [check, signin, start] = hops;
    expect(check?.headers.get('location')).toMatch(
      /^https:\/\/example\.com\/auth\/portals\/main\/signin\?state=[\w-]{11}~[\w-]{16}&return=[\w-]+$/,
    );
    expect(cookieNamed(check, 'tf_state_main_')).toContain('; Domain=example.com;');
    expect(signin?.headers.get('location')).toMatch(
      /^https:\/\/example\.com\/auth\/portals\/main\/providers\/pocketid\?state=/,
    );
    expect(new URL(start?.headers.get('location') ?? '').searchParams.get('redirect_uri')).toBe(
      'https://example.com/auth/portals/main/oauth2/callback',
    );
    const callback = hops.find((h) => h.url.includes('/oauth2/callback'));
    expect(callback?.status).toBe(307);
    expect(cookieNamed(callback, 'tf_sess_main=')).toMatch(
      /; Domain=example\.com; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(hops.at(-1)?.url).toBe('https://example.com/app/page?q=1');
    expect(hops.at(-1)?.status).toBe(200);
    expect(hops.at(-1)?.headers.get('x-forwarded-user')).toBe('alice');
  });
});

describe('default portal short routes', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: (issuer) => ({ ...basicConfig(issuer), defaultPortal: 'main' }) });
  });
  afterAll(() => stack?.close());

  it('serves the portal at the root, keeping URLs without /portals/{portal}', async () => {
    const b = stack.browser({ forwardAuthPath: '/', isAuthUrl: (u) => u.host === 'auth.example.com' });

    const hops = await b.login('https://app.example.com/x');

    expect(hops[0]?.headers.get('location')).toMatch(/^https:\/\/auth\.example\.com\/signin\?state=/);
    expect(new URL(hops[2]?.headers.get('location') ?? '').searchParams.get('redirect_uri')).toBe(
      'https://auth.example.com/oauth2/callback',
    );
    expect(hops.at(-1)?.status).toBe(200);
  });
});

describe('401 mode for non-browser clients', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: (issuer) => {
        const c = basicConfig(issuer);
        const second = { ...c.portals[0], name: 'nginx', always401: true };
        return { ...c, portals: [...c.portals, second] };
      },
    });
  });
  afterAll(() => stack?.close());

  it.each([
    ['Accept: application/json', { Accept: 'application/json' }],
    ['X-Requested-With: XMLHttpRequest', { Accept: '*/*', 'X-Requested-With': 'XMLHttpRequest' }],
  ])(
    'answers 401 with the absolute sign-in URL for %s and no cookie; that URL starts a login',
    async (_name, headers) => {
      const b = stack.browser();

      const res = await b.request('https://app.example.com/data.json', { headers });

      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const signin = res.headers.get('x-forward-auth-signin-url') ?? '';
      expect(signin).toBe(
        `https://auth.example.com/portals/main/signin?return=${Buffer.from('https://app.example.com/data.json').toString('base64url')}`,
      );
      expect(JSON.parse(res.body)).toEqual({ error: 'Not authenticated', signinUrl: signin });
      expect(res.headers.getSetCookie()).toEqual([]);
      // A browser navigating to it (window.location, nginx's error_page) gets the state cookie there and goes on.
      const next = await b.request(signin, { headers: { Accept: 'text/html' } });
      expect(next.status).toBe(303);
      expect(next.headers.get('location')).toMatch(
        /\/portals\/main\/providers\/pocketid\?state=[\w-]{11}~[\w-]+&return=/,
      );
      expect(next.headers.getSetCookie()).toHaveLength(1);
      expect(next.headers.getSetCookie()[0]).toMatch(/^tf_state_main_[\w-]{11}=/);
    },
  );

  it('answers 303 to an ordinary browser navigation', async () => {
    const res = await stack.browser().request('https://app.example.com/', {
      headers: { Accept: 'text/html,application/xhtml+xml,application/json;q=0.9' },
    });

    expect(res.status).toBe(303);
  });

  it('answers 401 to browsers too on a portal with always401 (nginx auth_request)', async () => {
    const b = stack.browser({ forwardAuthPath: '/portals/nginx' });

    const res = await b.request('https://app.example.com/page');

    expect(res.status).toBe(401);
    expect(res.headers.get('x-forward-auth-signin-url')).toMatch(
      /^https:\/\/auth\.example\.com\/portals\/nginx\/signin\?return=[\w-]+$/,
    );
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe('browser-facing errors', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: (issuer) => basicConfig(issuer) });
  });
  afterAll(() => stack?.close());

  it('shows browsers an HTML error page with the request id, and keeps text for other clients', async () => {
    const url = 'https://auth.example.com/portals/main/providers/pocketid?state=nope';

    const page = await stack.browser().request(url, { headers: { Accept: 'text/html,application/xhtml+xml' } });
    const text = await stack.browser().request(url, { headers: { Accept: '*/*' } });

    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.body).toContain('Query string parameter &#39;state&#39; is invalid');
    expect(page.body).toContain(page.headers.get('x-request-id') ?? 'missing');
    expect(text.status).toBe(401);
    expect(text.body).toBe("Error: Query string parameter 'state' is invalid");
  });
});

describe('explained denials: a browser failing the condition gets a 403 page', () => {
  const NAV = { Accept: 'text/html,application/xhtml+xml', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' };
  const ADMINS = encodeURIComponent('Group("staff")');

  /** Signs alice in, then runs the forward-auth check of the app with `?if=Group("staff")` she fails. */
  async function deniedCheck(stack: Stack, headers: Record<string, string>) {
    const b = stack.browser();
    await b.login(APP);
    const token = (await b.cookie(APP, 'tf_sess_main'))?.value ?? '';
    return rawFetch(`${stack.server.url}/portals/main?if=${ADMINS}`, {
      headers: {
        'X-Forwarded-Host': 'app.example.com',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Uri': '/reports',
        Cookie: `tf_sess_main=${token}`,
        ...headers,
      },
    });
  }

  describe('with the default (explainDenials off)', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({
        config: (issuer) => basicConfig(issuer, { portal: { displayName: 'Example Corp' } }),
      });
    });
    afterAll(() => stack?.close());

    it('shows who is signed in, that access was denied and by which portal, not the condition', async () => {
      // Act
      const res = await deniedCheck(stack, NAV);
      const body = await res.text();

      // Assess
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-forwarded-user')).toBeNull();
      const nonce = /<style nonce="([0-9a-f]{32})">/.exec(body)?.[1];
      expect(res.headers.get('content-security-policy')).toBe(
        `default-src 'none'; style-src 'nonce-${nonce}'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'`,
      );
      expect(body).toContain(
        "You're signed in as <b>alice@example.com</b> (Pocket ID), but this account does not have access to <b>app.example.com</b>.",
      );
      expect(body).toContain(
        '<a href="https://auth.example.com/portals/main/authenticated">Sign in as someone else</a>',
      );
      expect(body).toContain(
        `Access is controlled by Example Corp. Error 403<br>Request ID: <code>${res.headers.get('x-request-id')}</code>`,
      );
      expect(body).not.toContain('staff');
    });

    it.each([
      ['an API client', { Accept: 'application/json' }],
      ['curl', { Accept: '*/*' }],
      ['a sub-resource of a page', { Accept: 'text/html', 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Dest': 'image' }],
      ['an XMLHttpRequest', { Accept: 'text/html, */*', 'X-Requested-With': 'XMLHttpRequest' }],
    ])("keeps upstream's 403 text for %s", async (_name, headers) => {
      // Act
      const res = await deniedCheck(stack, headers);

      // Assess
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await res.text()).toBe('Error: Access denied per authorization rules');
    });
  });

  describe('with explainDenials: true', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ config: (issuer) => basicConfig(issuer, { portal: { explainDenials: true } }) });
    });
    afterAll(() => stack?.close());

    it('names the condition the app requires, escaped', async () => {
      // Act
      const res = await deniedCheck(stack, NAV);

      // Assess
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('but this app requires <code>Group(&quot;staff&quot;)</code>.');
    });
  });
});

describe('log out everywhere', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: (issuer) => basicConfig(issuer) });
  });
  afterAll(() => stack?.close());

  it("revokes every session of the user in the portal with POST logout?everywhere=1, and no one else's", async () => {
    const laptop = stack.browser();
    const phone = stack.browser();
    const colleague = stack.browser();
    await laptop.login(APP, 'alice');
    await phone.login(APP, 'alice');
    await colleague.login(APP, 'bob');
    expect((await phone.request(APP)).status).toBe(200);

    const res = await laptop.request('https://auth.example.com/portals/main/logout?everywhere=1', { method: 'POST' });

    expect(res.status).toBe(303);
    expect((await laptop.request(APP)).status).toBe(303);
    expect((await phone.request(APP)).status).toBe(303);
    expect((await colleague.request(APP)).status).toBe(200);
  });
});
