import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/load.js';
import type { Config } from '../../shared/config/types.js';
import { cookiesWithout, deleteCookie, readCookies, setCookie } from '../../shared/http/cookies.js';
import { matchHost, normalizeHost } from '../../shared/http/hosts.js';
import { createLogger } from '../../shared/log.js';
import { type CoreDeps, type PortalRequest, portalRequest } from '../../shared/routes/context.js';
import {
  decodeStateCookie,
  deleteAllStateCookies,
  encodeStateCookie,
  issueStateCookie,
  STATE_COOKIE_BUDGET,
  type StateCookie,
  stateCookieId,
  stateCookieName,
} from '../../shared/routes/state-cookie.js';

const log = createLogger({ level: 'error', json: true, write: () => {} });

function config(top: Record<string, unknown> = {}): Config {
  return validateConfig({
    ...top,
    portals: [
      {
        name: 'main',
        providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
      },
    ],
  }).config;
}

const domains = (...list: { domain: string; authHost?: string }[]) => config({ server: { domains: list } });

/** A Set-Cookie value split into its name, value and attributes (attribute names lower-cased). */
function parseSetCookie(header: string): { name: string; value: string; attrs: Map<string, string> } {
  const [pair = '', ...rest] = header.split('; ');
  const eq = pair.indexOf('=');
  const attrs = new Map<string, string>();
  for (const a of rest) {
    const i = a.indexOf('=');
    attrs.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? '' : a.slice(i + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
}

describe('upstream DomainForHost (matchHost)', () => {
  it.each([
    { host: 'app.example.com:30443', cookieDomain: 'example.com', authHost: 'auth.example.com:30443' },
    { host: 'app.example.org', cookieDomain: 'example.org', authHost: 'auth.example.org' },
    { host: 'example.com', cookieDomain: 'example.com', authHost: 'auth.example.com:30443' },
    { host: 'APP.Example.COM.', cookieDomain: 'example.com', authHost: 'auth.example.com:30443' },
    { host: ' app.example.com ', cookieDomain: 'example.com', authHost: 'auth.example.com:30443' },
  ])('matches $host to the domain $cookieDomain and the auth host $authHost', ({ host, cookieDomain, authHost }) => {
    // Prepare
    const c = domains(
      { domain: 'example.com', authHost: 'auth.example.com:30443' },
      { domain: 'example.org', authHost: 'auth.example.org' },
    );

    // Act
    const got = matchHost(c, host);

    // Assess: `domain` is the configured entry, which sessions record (cookieDomain is what the cookie is scoped to).
    expect(got).toEqual({ cookieDomain, authHost, domain: cookieDomain });
  });

  it.each([
    { order: 'parent first', list: [{ domain: 'example.com' }, { domain: 'apps.example.com' }] },
    { order: 'parent last', list: [{ domain: 'apps.example.com' }, { domain: 'example.com' }] },
  ])('picks the most specific domain ($order)', ({ list }) => {
    // Prepare
    const c = domains(...list);

    // Act
    const nested = matchHost(c, 'foo.apps.example.com');
    const exact = matchHost(c, 'apps.example.com');
    const parent = matchHost(c, 'www.example.com');

    // Assess
    expect(nested).toEqual({
      cookieDomain: 'apps.example.com',
      authHost: 'apps.example.com',
      domain: 'apps.example.com',
    });
    expect(exact).toEqual({
      cookieDomain: 'apps.example.com',
      authHost: 'apps.example.com',
      domain: 'apps.example.com',
    });
    expect(parent).toEqual({ cookieDomain: 'example.com', authHost: 'example.com', domain: 'example.com' });
  });

  it.each(['app.evil.com', 'notexample.com', 'example.com.evil.com', 'example.co', 'com', '', '   '])(
    'rejects the host %j, which matches no configured domain',
    (host) => {
      // Prepare
      const c = domains({ domain: 'example.com', authHost: 'auth.example.com' });

      // Act
      const got = matchHost(c, host);

      // Assess
      expect(got).toBeUndefined();
    },
  );

  it.each(['127.0.0.1', '127.0.0.1:8080', '[::1]:8080', '::1', '[2001:DB8::1]', '10.0.0.2'])(
    'refuses the unlisted IP host %j when domains are configured',
    (host) => {
      // Prepare
      const c = domains({ domain: 'example.com', authHost: 'auth.example.com' }, { domain: '10.0.0.1' });

      // Act
      const got = matchHost(c, host);

      // Assess
      expect(got).toBeUndefined();
    },
  );

  it.each([
    { host: '10.0.0.1', listed: '10.0.0.1', authHost: '10.0.0.1', domain: '10.0.0.1' },
    { host: '10.0.0.1:8080', listed: '10.0.0.1', authHost: '10.0.0.1', domain: '10.0.0.1' },
    { host: '[2001:DB8::1]:8443', listed: '[2001:db8::1]', authHost: '[2001:db8::1]', domain: '2001:db8::1' },
    { host: '::1', listed: '::1', authHost: '[::1]', domain: '::1' },
  ])('gives the listed IP host $host a host-only cookie', ({ host, listed, authHost, domain }) => {
    // Prepare
    const c = domains({ domain: 'example.com', authHost: 'auth.example.com' }, { domain: listed });

    // Act
    const got = matchHost(c, host);

    // Assess
    expect(got).toEqual({ cookieDomain: '', authHost, domain });
  });

  it.each([
    { host: '127.0.0.1:8080', authHost: '127.0.0.1' },
    { host: '[::1]:8080', authHost: '[::1]' },
  ])('serves the IP host $host in sub-path mode (no domains) with a host-only cookie', ({ host, authHost }) => {
    // Act
    const got = matchHost(config(), host);

    // Assess
    expect(got).toEqual({ cookieDomain: '', authHost });
  });

  it.each([
    { host: 'app.example.com:8443', cookieDomain: 'app.example.com', authHost: 'app.example.com' },
    { host: 'App.Example.Com.', cookieDomain: 'app.example.com', authHost: 'app.example.com' },
    // Upstream sets Domain=localhost, which browsers refuse; a host-only cookie does what was meant.
    { host: 'localhost:3000', cookieDomain: '', authHost: 'localhost' },
    { host: 'intranet', cookieDomain: '', authHost: 'intranet' },
  ])('uses the request host $host without domains (sub-path mode)', ({ host, cookieDomain, authHost }) => {
    // Act
    const got = matchHost(config(), host);

    // Assess
    expect(got).toEqual({ cookieDomain, authHost });
  });

  it('gives a configured single-label domain host-only cookies', () => {
    // Prepare
    const c = domains({ domain: 'localhost' });

    // Act
    const got = matchHost(c, 'localhost:3000');

    // Assess
    expect(got).toEqual({ cookieDomain: '', authHost: 'localhost', domain: 'localhost' });
  });

  it.each([
    { input: 'Example.COM.', want: 'example.com' },
    { input: 'a.example.com:443', want: 'a.example.com' },
    { input: ' x.example.com ', want: 'x.example.com' },
    { input: '[::1]:80', want: '::1' },
    { input: '[2001:DB8::1]', want: '2001:db8::1' },
    { input: '::1', want: '::1' },
    { input: '1.2.3.4:5', want: '1.2.3.4' },
    { input: '', want: '' },
  ])('normalises the host $input to $want', ({ input, want }) => {
    // Act
    const got = normalizeHost(input);

    // Assess
    expect(got).toBe(want);
  });
});

describe('cookie attributes (upstream util-cookies_test.go)', () => {
  it('writes a session-style cookie with Path=/, Domain, Max-Age, HttpOnly, Secure and SameSite=Lax', () => {
    // Prepare
    const lifetimeSeconds = 2 * 3600;

    // Act
    const header = setCookie('tf_sess_main', 'token-value', lifetimeSeconds - 1, {
      domain: 'example.com',
      secure: true,
    });

    // Assess
    const cookie = parseSetCookie(header);
    expect(cookie.name).toBe('tf_sess_main');
    expect(cookie.value).toBe('token-value');
    expect(Object.fromEntries(cookie.attrs)).toEqual({
      path: '/',
      domain: 'example.com',
      'max-age': '7199',
      httponly: '',
      secure: '',
      samesite: 'Lax',
    });
    expect(cookie.attrs.has('expires')).toBe(false);
  });

  it('omits Secure with cookies.insecure and Domain for a host-only cookie', () => {
    // Act
    const header = setCookie('tf_sess_main', 'v', 60, { domain: '', secure: false });

    // Assess
    const cookie = parseSetCookie(header);
    expect(cookie.attrs.has('secure')).toBe(false);
    expect(cookie.attrs.has('domain')).toBe(false);
    expect(cookie.attrs.get('httponly')).toBe('');
    expect(cookie.attrs.get('samesite')).toBe('Lax');
  });

  it.each([
    { seconds: 299.9, want: '299' },
    { seconds: -5, want: '0' },
    { seconds: 0, want: '0' },
    // Browsers cap Max-Age at 400 days; hono's serializer would throw above it.
    { seconds: 10_000 * 3600, want: String(400 * 24 * 3600) },
  ])('writes Max-Age $want for $seconds seconds', ({ seconds, want }) => {
    // Act
    const header = setCookie('n', 'v', seconds, { domain: '', secure: true });

    // Assess
    expect(parseSetCookie(header).attrs.get('max-age')).toBe(want);
  });

  it('expires a cookie with an empty value and Max-Age=0 in the same scope', () => {
    // Act
    const header = deleteCookie('tf_sess_main', { domain: 'example.com', secure: true });

    // Assess
    const cookie = parseSetCookie(header);
    expect(cookie.value).toBe('');
    expect(cookie.attrs.get('max-age')).toBe('0');
    expect(cookie.attrs.get('domain')).toBe('example.com');
    expect(cookie.attrs.get('path')).toBe('/');
  });

  it('rejects a cookie name that would break the header', () => {
    // Act
    const attempt = () => setCookie('bad name', 'v', 1, { domain: '', secure: true });

    // Assess
    expect(attempt).toThrow('Invalid cookie name');
  });

  it('percent-encodes a value with separators so it cannot add attributes', () => {
    // Act
    const header = setCookie('n', 'a; Domain=evil.com', 1, { domain: '', secure: true });

    // Assess
    expect(header.startsWith('n=a%3B%20Domain%3Devil.com;')).toBe(true);
    expect(parseSetCookie(header).attrs.has('domain')).toBe(false);
  });
});

describe('readCookies', () => {
  const read = (cookie: string) => readCookies(new Request('https://auth.example.com/', { headers: { cookie } }));

  it('reads every cookie, the first of a repeated name winning', () => {
    // Act
    const cookies = read('tf_sess_main=abc; other=1; tf_sess_main=def; quoted="q"');

    // Assess
    expect({ ...cookies }).toEqual({ tf_sess_main: 'abc', other: '1', quoted: 'q' });
  });

  it('returns no cookies without a Cookie header', () => {
    // Act
    const cookies = readCookies(new Request('https://auth.example.com/'));

    // Assess
    expect({ ...cookies }).toEqual({});
  });

  it.each(['tf_state_main_(x', 'tf_state_main_a/b', 'tf_state_main_a:b', 'x@y', 'a[0]', 'a?b'])(
    'rejects the cookie name %j, which is not an HTTP token (as net/http does)',
    (name) => {
      // Act
      const cookies = read(`${name}=1; ok=2`);

      // Assess
      expect({ ...cookies }).toEqual({ ok: '2' });
    },
  );

  it('keeps a cookie named __proto__ as plain data', () => {
    // Act
    const cookies = read('__proto__=x; a=1');

    // Assess
    expect(cookies.a).toBe('1');
    expect(Object.getPrototypeOf(cookies)).toBeNull();
  });
});

describe('state cookie values', () => {
  const sample: StateCookie = {
    nonce: 'bm9uY2Utbm9uY2Ut',
    secret: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ',
    createdAt: 1_767_322_245,
  };

  it('round-trips through encode and decode, in under 64 bytes', () => {
    // Act
    const encoded = encodeStateCookie(sample);
    const decoded = decodeStateCookie(encoded);

    // Assess
    expect(encoded).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(encoded.length).toBeLessThan(64);
    expect(decoded).toEqual(sample);
  });

  const b64 = (text: string) => Buffer.from(text).toString('base64url');

  it.each([
    { name: 'undefined', value: undefined },
    { name: 'an empty string', value: '' },
    { name: 'garbage', value: '!!!not base64!!!' },
    { name: 'a JWT', value: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig' },
    { name: 'the old JSON format', value: b64('{"u":"https://a.example.com/","n":"a","k":"b","t":1}') },
    { name: 'a huge value', value: `${'A'.repeat(6001)}.${'B'.repeat(20)}.1` },
    { name: 'a short nonce', value: 'abc.c2VjcmV0LXNlY3JldC1zZWNyZXQ.1' },
    { name: 'a short secret', value: 'bm9uY2Utbm9uY2Ut.abc.1' },
    { name: 'a nonce that is not base64url', value: 'bm9uY2U+bm9uY2Ut.c2VjcmV0LXNlY3JldC1zZWNyZXQ.1' },
    { name: 'a string timestamp', value: 'bm9uY2Utbm9uY2Ut.c2VjcmV0LXNlY3JldC1zZWNyZXQ.x' },
    { name: 'a negative timestamp', value: 'bm9uY2Utbm9uY2Ut.c2VjcmV0LXNlY3JldC1zZWNyZXQ.-1' },
    { name: 'a missing part', value: 'bm9uY2Utbm9uY2Ut.c2VjcmV0LXNlY3JldC1zZWNyZXQ' },
    { name: 'an extra part', value: 'bm9uY2Utbm9uY2Ut.c2VjcmV0LXNlY3JldC1zZWNyZXQ.1.2' },
  ])('rejects $name as a state cookie value, without throwing', ({ value }) => {
    // Act
    const decoded = decodeStateCookie(value);

    // Assess
    expect(decoded).toBeUndefined();
  });

  it.each([
    { url: 'https://app.example.com/dashboard?ref=email', id: 'ofVy3cm1J8A' },
    { url: 'https://example.com/portals/main/profile', id: 'UATJojgZRYM' },
  ])("derives upstream's state cookie id for $url", ({ url, id }) => {
    // Act
    const got = stateCookieId(url);

    // Assess
    expect(got).toBe(id);
  });

  it('derives 11-character base64url ids that differ per return URL', () => {
    // Act
    const ids = ['https://a.example.com/', 'https://a.example.com/?', 'https://b.example.com/'].map(stateCookieId);

    // Assess
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(new Set(ids).size).toBe(3);
  });

  it('names state cookies tf_state_<portal>_<id>', () => {
    // Act
    const name = stateCookieName('main', 'ofVy3cm1J8A');

    // Assess
    expect(name).toBe('tf_state_main_ofVy3cm1J8A');
  });
});

describe('state cookies of a request', () => {
  const deps: CoreDeps = {
    config: config({ server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] } }),
    log,
    now: () => 0,
  };

  function request(cookie?: string): PortalRequest {
    const portal = deps.config.portals[0];
    if (!portal) throw new Error('no portal');
    const headers: Record<string, string> = { 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Proto': 'https' };
    if (cookie !== undefined) headers.cookie = cookie;
    return portalRequest(deps, new Request('http://tfa/portals/main', { headers }), portal, false, 'r', log);
  }

  const stateValue = (createdAt: number) =>
    encodeStateCookie({ nonce: 'bm9uY2Utbm9uY2Ut', secret: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ', createdAt });

  const names = (setCookies: string[]) => setCookies.map((c) => parseSetCookie(c).name);

  it('issues a state cookie with Max-Age = authenticationTimeout − 1, the cookie domain and a fresh secret', () => {
    // Prepare
    const pr = request();

    // Act
    const issued = issueStateCookie(deps, pr, 'https://app.example.com/');

    // Assess
    expect(issued.setCookies).toHaveLength(1);
    const cookie = parseSetCookie(issued.setCookies[0] ?? '');
    expect(cookie.name).toBe(`tf_state_main_${stateCookieId('https://app.example.com/')}`);
    expect(decodeStateCookie(cookie.value)).toEqual(issued.cookie);
    expect(issued.cookie.secret).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Object.fromEntries(cookie.attrs)).toEqual({
      path: '/',
      domain: 'example.com',
      'max-age': '299',
      httponly: '',
      secure: '',
      samesite: 'Lax',
    });
  });

  it('re-issues the same nonce and secret for a return URL that already has a state cookie', () => {
    // Prepare
    const id = stateCookieId('https://app.example.com/');
    const pr = request(`tf_state_main_${id}=${stateValue(7)}`);

    // Act
    const issued = issueStateCookie(deps, pr, 'https://app.example.com/');

    // Assess
    expect(issued.cookie).toEqual(decodeStateCookie(stateValue(7)));
    expect(names(issued.setCookies)).toEqual([`tf_state_main_${id}`]);
  });

  it('expires every state cookie of the portal and nothing else', () => {
    // Prepare
    const pr = request(
      `tf_state_main_aaaaaaaaaaa=${stateValue(1)}; tf_state_main_bbbbbbbbbbb=x; tf_state_other_c=1; tf_sess_main=s; regular=1`,
    );

    // Act
    const setCookies = deleteAllStateCookies(deps, pr);

    // Assess
    expect(names(setCookies)).toEqual(['tf_state_main_aaaaaaaaaaa', 'tf_state_main_bbbbbbbbbbb']);
    for (const c of setCookies) expect(parseSetCookie(c).attrs.get('max-age')).toBe('0');
  });

  it("never claims another portal's cookies when one portal name prefixes another (main vs main_x)", () => {
    // Act
    const setCookies = deleteAllStateCookies(deps, request(`tf_state_main_x_aaaaaaaaaaa=${stateValue(1)}`));

    // Assess
    expect(setCookies).toEqual([]);
  });

  it('expires nothing when the request has no state cookies', () => {
    // Act
    const setCookies = deleteAllStateCookies(deps, request('regular=1'));

    // Assess
    expect(setCookies).toEqual([]);
  });

  it(`expires the oldest state cookies of every portal beyond ${STATE_COOKIE_BUDGET} bytes, unreadable ones first`, () => {
    // Prepare: 60 readable cookies of two portals (about 90 bytes each) plus one in an old, unreadable format
    const cookies: string[] = ['tf_state_other_olddddddddd=eyJ1Ijoi'];
    for (let t = 1; t <= 60; t++)
      cookies.push(`tf_state_${t % 2 ? 'main' : 'other'}_${String(t).padStart(11, 'c')}=${stateValue(t)}`);
    const pr = request(cookies.join('; '));

    // Act
    const issued = issueStateCookie(deps, pr, 'https://app.example.com/new');

    // Assess: what the browser keeps fits the budget, and it is the newest ones
    const expired = new Set(names(issued.setCookies.slice(1)));
    expect(expired.has('tf_state_other_olddddddddd')).toBe(true);
    const kept = cookies.filter((c) => !expired.has(c.slice(0, c.indexOf('='))));
    const header = [...kept, issued.setCookies[0]?.split(';')[0]].join('; ');
    expect(header.length).toBeLessThanOrEqual(STATE_COOKIE_BUDGET);
    expect(header.length).toBeGreaterThan(STATE_COOKIE_BUDGET - 100);
    const time = (name: string) => Number(name.slice(-11).replaceAll('c', ''));
    const keptTimes = kept.map((c) => time(c.slice(0, c.indexOf('='))));
    const expiredTimes = [...expired].filter((n) => n !== 'tf_state_other_olddddddddd').map(time);
    expect(Math.min(...keptTimes)).toBe(Math.max(...expiredTimes) + 1);
    for (const c of issued.setCookies.slice(1)) expect(parseSetCookie(c).attrs.get('max-age')).toBe('0');
  });

  it('expires nothing while all state cookies fit the budget', () => {
    // Prepare
    const pr = request(`tf_state_main_aaaaaaaaaaa=${stateValue(1)}; tf_state_other_x=${stateValue(1)}`);

    // Act
    const issued = issueStateCookie(deps, pr, 'https://app.example.com/new');

    // Assess
    expect(issued.setCookies).toHaveLength(1);
  });

  it('rejects a state cookie whose name cannot be written back, instead of failing the request', () => {
    // Prepare: a cookie tossed in from a sibling sub-domain
    const pr = request(`tf_state_main_(x=1; tf_state_main_aaaaaaaaaaa=${stateValue(1)}`);

    // Act
    const issued = issueStateCookie(deps, pr, 'https://app.example.com/new');
    const deleted = deleteAllStateCookies(deps, pr);

    // Assess
    expect(issued.setCookies).toHaveLength(1);
    expect(names(deleted)).toEqual(['tf_state_main_aaaaaaaaaaa']);
  });
});

describe('cookiesWithout (the Cookie header an app receives)', () => {
  const AUTH = ['tf_sess_', 'tf_state_'];

  it.each([
    ['tf_sess_main=tok; app=1', 'app=1'],
    ['app=1; tf_sess_main=tok; tf_state_main_abc=s; theme=dark', 'app=1; theme=dark'],
    ['tf_sess_main=a; tf_sess_other=b; tf_state_main_x=c', undefined],
    ['tf_sess_main=a;tf_sess_main=b;app=1', 'app=1'],
    // Browsers split on every `;` (a cookie value cannot hold one), and so does the proxy's app.
    ['  app=1 ;; ; other="q;"', 'app=1; other="q; "'],
    ['app=%E2%9C%93; b64=YQ==; empty=', 'app=%E2%9C%93; b64=YQ==; empty='],
    ['flag; tf_sess_main', 'flag'],
    [' tf_sess_main =spaced; ok=1', 'ok=1'],
    ['', undefined],
  ])('turns %j into %j', (header, want) => {
    // Act
    const got = cookiesWithout(header, AUTH);

    // Assess
    expect(got).toBe(want);
  });

  it('keeps look-alike names that do not start with an auth prefix', () => {
    // Act
    const got = cookiesWithout('xtf_sess_main=1; TF_SESS_main=2; tf_sessmain=3; tf_state=4', AUTH);

    // Assess
    expect(got).toBe('xtf_sess_main=1; TF_SESS_main=2; tf_sessmain=3; tf_state=4');
  });

  it('returns undefined without a Cookie header', () => {
    // Act
    const got = cookiesWithout(null, AUTH);

    // Assess
    expect(got).toBeUndefined();
  });
});
