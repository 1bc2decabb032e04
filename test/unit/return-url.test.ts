import { describe, expect, it } from 'vitest';
import { ConditionCache } from '../../shared/conditions/conditions.js';
import { validateConfig } from '../../shared/config/load.js';
import { HttpError } from '../../shared/http/errors.js';
import { pathAndQuery, readForwarded } from '../../shared/http/forwarded.js';
import { createLogger } from '../../shared/log.js';
import { type CoreDeps, type PortalRequest, portalRequest } from '../../shared/routes/context.js';
import {
  checkReturnUrl,
  decodeStateCookie,
  encodeReturnParam,
  stateCookieId,
  stateCookieName,
} from '../../shared/routes/state-cookie.js';
import { returnUrlFor, type VerifyDeps, verifyRoute } from '../../shared/routes/verify.js';
import { catchError } from '../helpers/catch-error.js';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const log = createLogger({ level: 'error', json: true, write: () => {} });

/** A portal `main` with one Pocket ID provider; `top` sets the other top-level keys (server, defaultPortal, …). */
function deps(top: Record<string, unknown> = {}): CoreDeps {
  const { config } = validateConfig({
    ...top,
    portals: [
      {
        name: 'main',
        providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
      },
    ],
  });
  return { config, log, now: () => NOW };
}

/** Dedicated sub-domain mode: apps on *.example.com, the auth server on auth.example.com. */
const DEDICATED = { server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] } };

/** What Traefik sends to `GET /portals/main` for a browser request. */
function forwardAuthRequest(headers: Record<string, string>, url = 'http://tfa.internal:4181/portals/main'): Request {
  return new Request(url, { headers });
}

function portalReq(d: CoreDeps, req: Request, shortRoute = false): PortalRequest {
  const portal = d.config.portals[0];
  if (!portal) throw new Error('no portal');
  return portalRequest(d, req, portal, shortRoute, 'req-1', log);
}

function returnUrl(uri: string | undefined, host = 'app.example.com', d = deps(DEDICATED)): string {
  const headers: Record<string, string> = { 'X-Forwarded-Host': host, 'X-Forwarded-Proto': 'https' };
  if (uri !== undefined) headers['X-Forwarded-Uri'] = uri;
  return returnUrlFor(d, portalReq(d, forwardAuthRequest(headers)));
}

/** Runs `fn`, requiring an HttpError. */
function httpError(fn: () => unknown): HttpError {
  return catchError(fn, HttpError);
}

/** Header values are byte strings: this is how raw UTF-8 bytes of a header arrive (Node decodes them as latin1). */
const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('upstream routes-auth-returnurl_test.go: TestGetReturnURLPreservesQuery', () => {
  it.each([
    { name: 'path only', uri: '/dashboard', want: 'https://app.example.com/dashboard' },
    {
      name: 'single query param',
      uri: '/dashboard?tab=details',
      want: 'https://app.example.com/dashboard?tab=details',
    },
    {
      name: 'multiple query params',
      uri: '/items?page=3&sort=desc&filter=active',
      want: 'https://app.example.com/items?page=3&sort=desc&filter=active',
    },
    {
      name: 'url-encoded query',
      uri: '/search?q=hello%20world&lang=en-US',
      want: 'https://app.example.com/search?q=hello%20world&lang=en-US',
    },
    {
      name: 'oauth callback shape',
      uri: '/oauth/callback?state=abc123&code=xyz789',
      want: 'https://app.example.com/oauth/callback?state=abc123&code=xyz789',
    },
    {
      name: 'absolute URI is reduced to path+query - host cannot be hijacked',
      uri: 'https://evil.example/path?q=v',
      want: 'https://app.example.com/path?q=v',
    },
    {
      name: 'scheme-relative URI is reduced to path+query',
      uri: '//evil.example/path?q=v',
      want: 'https://app.example.com/path?q=v',
    },
    { name: 'empty path becomes /', uri: '?q=v', want: 'https://app.example.com/?q=v' },
  ])('builds the return URL for $name', ({ uri, want }) => {
    // Act
    const got = returnUrl(uri);

    // Assess
    expect(got).toBe(want);
  });
});

describe('upstream routes-auth-returnurl_test.go: TestGetReturnURLNoForwardedURIFallsBackToProfile', () => {
  it.each([
    {
      name: 'dedicated sub-domain mode',
      top: DEDICATED,
      host: 'app.example.com',
      want: 'https://auth.example.com/portals/main/profile',
    },
    {
      name: 'a basePath',
      top: { server: { ...DEDICATED.server, basePath: '/auth' } },
      host: 'app.example.com',
      want: 'https://auth.example.com/auth/portals/main/profile',
    },
    // TFA's own URLs never carry the forwarded host's port (upstream §1.3 nuance a).
    { name: 'no domains', top: {}, host: 'app.example.com:8443', want: 'https://app.example.com/portals/main/profile' },
    {
      name: 'an authHost with a port',
      top: { server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com:30443' }] } },
      host: 'app.example.com',
      want: 'https://auth.example.com:30443/portals/main/profile',
    },
  ])('falls back to the portal profile page without X-Forwarded-Uri, with $name', ({ top, host, want }) => {
    // Act
    const got = returnUrl(undefined, host, deps(top));

    // Assess
    expect(got).toBe(want);
  });

  it('falls back to the short profile URL on the default portal short route', () => {
    // Prepare
    const d = deps({ ...DEDICATED, defaultPortal: 'main' });
    const req = forwardAuthRequest(
      { 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Proto': 'https' },
      'http://tfa/',
    );

    // Act
    const got = returnUrlFor(d, portalReq(d, req, true));

    // Assess
    expect(got).toBe('https://auth.example.com/profile');
  });
});

describe('hostile X-Forwarded-Uri values', () => {
  const PROFILE = 'https://auth.example.com/portals/main/profile';

  it.each([
    { name: 'a scheme-relative URL', uri: '//evil.com/x', want: 'https://app.example.com/x' },
    { name: 'an absolute URL with a query', uri: 'https://evil.com/x?y', want: 'https://app.example.com/x?y' },
    { name: 'an absolute URL without a path', uri: 'https://evil.com', want: 'https://app.example.com/' },
    { name: 'an upper-case absolute URL', uri: 'HTTPS://EVIL.COM:443/x', want: 'https://app.example.com/x' },
    {
      name: 'credentials in an absolute URL',
      uri: 'https://app.example.com@evil.com/x',
      want: 'https://app.example.com/x',
    },
    { name: 'three slashes', uri: '///evil.com', want: 'https://app.example.com/evil.com' },
    { name: 'a slash and a backslash', uri: '/\\evil.com', want: 'https://app.example.com/%5Cevil.com' },
    { name: 'slash, backslash, slash', uri: '/\\/evil.com/', want: 'https://app.example.com/%5C/evil.com/' },
    { name: 'encoded slashes', uri: '/%2F%2Fevil', want: 'https://app.example.com/%2F%2Fevil' },
    { name: 'an at sign', uri: '/@evil.com', want: 'https://app.example.com/@evil.com' },
    { name: 'a dot segment', uri: '/..//evil.com', want: 'https://app.example.com/..//evil.com' },
    { name: 'a redirect in the query', uri: '/x?next=//evil.com', want: 'https://app.example.com/x?next=//evil.com' },
    { name: 'encoded CR/LF', uri: '/a%0d%0aSet-Cookie:x=y', want: 'https://app.example.com/a%0d%0aSet-Cookie:x=y' },
    { name: 'a fragment', uri: '/a?b=c#frag', want: 'https://app.example.com/a?b=c' },
    { name: 'a space', uri: '/a b', want: 'https://app.example.com/a%20b' },
    { name: 'a quote and angle brackets', uri: '/"><script>', want: 'https://app.example.com/"><script>' },
    { name: 'raw UTF-8 bytes', uri: bytes('/ä?q=日本'), want: 'https://app.example.com/%C3%A4?q=%E6%97%A5%E6%9C%AC' },
    { name: 'a raw latin1 byte', uri: '/caf\u00e9', want: 'https://app.example.com/caf%E9' },
    { name: 'a raw U+2028 in UTF-8', uri: bytes('/\u2028x'), want: 'https://app.example.com/%E2%80%A8x' },
    { name: 'a raw emoji in UTF-8', uri: bytes('/😀'), want: 'https://app.example.com/%F0%9F%98%80' },
    { name: 'a backslash-only value', uri: '\\\\evil', want: PROFILE },
    { name: 'a host without slashes', uri: 'evil.com/x', want: PROFILE },
    { name: 'a javascript: URL', uri: 'javascript:alert(1)', want: PROFILE },
    { name: 'a scheme with one slash', uri: 'https:/evil.com', want: PROFILE },
    { name: 'a tab', uri: '/a\tb', want: PROFILE },
    { name: 'DEL', uri: '/a\u007fb', want: PROFILE },
    { name: 'an empty value', uri: '', want: PROFILE },
  ])('keeps the forwarded host for $name', ({ uri, want }) => {
    // Act
    const got = returnUrl(uri);

    // Assess
    expect(got).toBe(want);
    expect(new URL(got).host).toBe(want === PROFILE ? 'auth.example.com' : 'app.example.com');
  });

  // A Request cannot even carry CR, LF or NUL in a header; pathAndQuery refuses them anyway.
  it.each([
    { name: 'CR/LF', uri: '/a\r\nSet-Cookie: x=y' },
    { name: 'a lone LF', uri: '/a\nb' },
    { name: 'a NUL byte', uri: '/a\u0000b' },
    { name: 'an escape character', uri: '/a\u001bb' },
  ])('rejects $name in X-Forwarded-Uri, so the profile page is used', ({ uri }) => {
    // Act
    const got = pathAndQuery(uri);

    // Assess
    expect(got).toBeUndefined();
  });

  it('keeps a very long URI verbatim and on the forwarded host', () => {
    // Prepare
    const uri = `/long?${'a=b&'.repeat(5000)}`;

    // Act
    const got = returnUrl(uri);

    // Assess
    expect(got).toBe(`https://app.example.com${uri}`);
    expect(new URL(got).host).toBe('app.example.com');
  });

  it.each([
    { host: 'App.Example.Com:30443', want: 'app.example.com:30443' },
    { host: 'app.example.com.', want: 'app.example.com.' },
    { host: 'app.example.com:443', want: 'app.example.com' },
  ])('keeps the forwarded host $host verbatim, port included', ({ host, want }) => {
    // Act
    const got = returnUrl('//evil.com/x?y=z', host);

    // Assess
    expect(got).toBe(`https://${host}/x?y=z`);
    expect(new URL(got).host).toBe(want);
  });

  it.each([
    { host: 'shop.xn--p1ai', top: {} },
    { host: '[2001:db8::1]', top: {} },
    { host: '[2001:db8::1]:8443', top: {} },
    { host: 'app.xn--p1ai', top: { server: { domains: [{ domain: 'xn--p1ai' }] } } },
  ])('accepts the forwarded host $host (upstream rejects punycode TLDs and hex IPv6)', ({ host, top }) => {
    // Act
    const got = returnUrl('/x', host, deps(top));

    // Assess
    expect(got).toBe(`https://${host}/x`);
    expect(new URL(got).host).toBe(host);
  });

  it('never lets any mix of URL-significant characters leave the forwarded host', () => {
    // Prepare: a deterministic pseudo-random generator (LCG), so failures reproduce
    const alphabet = [
      '/',
      '/',
      '\\',
      ':',
      '@',
      '?',
      '#',
      '%',
      '.',
      'a',
      'h',
      't',
      'p',
      's',
      ' ',
      '[',
      ']',
      '\u00e4',
      '\u0085',
      '\t',
      '\r',
    ];
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    const inputs = Array.from({ length: 3000 }, () =>
      Array.from({ length: next() % 24 }, () => alphabet[next() % alphabet.length] ?? '').join(''),
    );

    // Act
    const results = inputs.map((uri) => ({ uri, pq: pathAndQuery(uri) }));

    // Assess
    for (const { uri, pq } of results) {
      if (pq === undefined) continue;
      const context = `input ${JSON.stringify(uri)} → ${JSON.stringify(pq)}`;
      expect(pq, context).toMatch(/^\/[\x21-\x7e]*$/);
      expect(new URL(`https://app.example.com${pq}`).host, context).toBe('app.example.com');
    }
  });
});

describe('the state cookie of an unauthenticated forward-auth check', () => {
  function verifyDeps(): VerifyDeps {
    return { ...deps(DEDICATED), sessions: { get: async () => undefined }, conditions: new ConditionCache() };
  }

  it('issues a state cookie named after the return URL, which travels in the sign-in URL', async () => {
    // Prepare
    const d = verifyDeps();
    const req = forwardAuthRequest({
      'X-Forwarded-Host': 'app.example.com',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Uri': '//evil.com/dashboard?ref=email',
    });

    // Act
    const res = await verifyRoute(d, portalReq(d, req));

    // Assess
    const url = 'https://app.example.com/dashboard?ref=email';
    const id = stateCookieId(url);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${stateCookieName('main', id)}=`));
    const value = decodeStateCookie(cookie?.split(';')[0]?.split('=')[1]);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(
      `https://auth.example.com/portals/main/signin?state=${id}~${value?.nonce}&return=${encodeReturnParam(url)}`,
    );
  });

  it('falls back to the site root for a return URL longer than 2048 bytes', async () => {
    // Prepare
    const d = verifyDeps();
    const req = forwardAuthRequest({
      'X-Forwarded-Host': 'app.example.com',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Uri': `/long?${'x'.repeat(5000)}`,
    });

    // Act
    const res = await verifyRoute(d, portalReq(d, req));

    // Assess
    const id = stateCookieId('https://app.example.com/');
    const cookies = res.headers.getSetCookie();
    expect(res.status).toBe(303);
    expect(cookies.join('\n').length).toBeLessThan(300);
    expect(cookies[0]).toMatch(new RegExp(`^${stateCookieName('main', id)}=`));
    expect(res.headers.get('Location')).toContain(`&return=${encodeReturnParam('https://app.example.com/')}`);
  });
});

describe('readForwarded', () => {
  it.each([
    { mode: 'dedicated', top: DEDICATED, host: 'abcdefghij.lambda-url.eu-west-1.on.aws' },
    { mode: 'dedicated', top: DEDICATED, host: 'r3pmxmplak.execute-api.eu-west-1.amazonaws.com' },
    {
      mode: 'sub-path, no domains',
      top: { server: { basePath: '/auth' } },
      host: 'abcdefghij.lambda-url.eu-west-1.on.aws',
    },
    {
      mode: 'sub-path, no domains',
      top: { server: { basePath: '/auth' } },
      host: 'x.execute-api.us-east-1.amazonaws.com:443',
    },
  ])(
    'rejects a check whose host is the AWS front door $host itself ($mode) with 400 naming X-Forwarded-Host',
    ({ top, host }) => {
      // Prepare: the proxy did not send X-Forwarded-Host, so Host is the front door's own.
      const d = deps(top);
      const req = new Request(`https://${host}${top === DEDICATED ? '' : '/auth'}/portals/main`, {
        headers: { Host: host, 'X-Forwarded-Uri': '/app' },
      });

      // Act
      const err = httpError(() => portalReq(d, req));

      // Assess
      expect(err.status).toBe(400);
      expect(err.message).toBe('Missing header X-Forwarded-Host');
    },
  );

  it('accepts the AWS front door host when X-Forwarded-Host names the app, and a custom domain without it', () => {
    // Act
    const viaProxy = readForwarded(
      new Request('https://abc.lambda-url.eu-west-1.on.aws/portals/main', {
        headers: { 'X-Forwarded-Host': 'app.example.com' },
      }),
    );
    const customDomain = readForwarded(new Request('https://auth.example.com/portals/main'));

    // Assess
    expect(viaProxy.host).toBe('app.example.com');
    expect(customDomain.host).toBe('auth.example.com');
  });

  it('reads a complete set of forwarded headers', () => {
    // Prepare
    const req = forwardAuthRequest({
      'X-Forwarded-Host': 'app.example.com',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-For': '203.0.113.7, 10.0.0.1',
      'X-Forwarded-Port': '443',
      'X-Forwarded-Uri': '/x?y',
    });

    // Act
    const fwd = readForwarded(req);

    // Assess
    expect(fwd).toEqual({ host: 'app.example.com', scheme: 'https', uri: '/x?y', clientIp: '203.0.113.7' });
  });

  it.each([
    { proto: 'https', want: 'https' },
    { proto: 'HTTPS', want: 'https' },
    { proto: 'wss', want: 'https' },
    { proto: 'http', want: 'http' },
    { proto: 'ws', want: 'http' },
    { proto: 'https, http', want: 'https' },
  ])('maps X-Forwarded-Proto $proto to $want', ({ proto, want }) => {
    // Act
    const fwd = readForwarded(forwardAuthRequest({ 'X-Forwarded-Host': 'a.example.com', 'X-Forwarded-Proto': proto }));

    // Assess
    expect(fwd.scheme).toBe(want);
  });

  it.each([
    { url: 'http://tfa.internal/portals/main', want: 'http' },
    { url: 'https://auth.example.com/portals/main', want: 'https' },
  ])('uses the request scheme when X-Forwarded-Proto is absent: $url', ({ url, want }) => {
    // Act
    const fwd = readForwarded(forwardAuthRequest({}, url));

    // Assess
    expect(fwd.scheme).toBe(want);
  });

  it.each<{ name: string; headers: Record<string, string>; want: string }>([
    {
      name: 'X-Forwarded-Host',
      headers: { 'X-Forwarded-Host': 'app.example.com', Host: 'tfa.internal' },
      want: 'app.example.com',
    },
    {
      name: 'the first X-Forwarded-Host',
      headers: { 'X-Forwarded-Host': 'a.example.com, b.example.com' },
      want: 'a.example.com',
    },
    { name: 'Host without X-Forwarded-Host', headers: { Host: 'auth.example.com' }, want: 'auth.example.com' },
    {
      name: 'Host for an empty X-Forwarded-Host',
      headers: { 'X-Forwarded-Host': '', Host: 'auth.example.com' },
      want: 'auth.example.com',
    },
  ])('takes the host from $name', ({ headers, want }) => {
    // Act
    const fwd = readForwarded(forwardAuthRequest(headers));

    // Assess
    expect(fwd.host).toBe(want);
  });

  // Upstream's validator rejects punycode TLDs and bracketed IPv6 with hex letters (its Appendix A #16); fixed here.
  it.each([
    'app.example.com',
    'App.Example.Com',
    'app.example.com.',
    'app.example.com:30443',
    'localhost',
    'my_host.example.com',
    '127.0.0.1:8080',
    'xn--80ak6aa92e.xn--p1ai',
    '[::1]',
    '[2001:db8::1]',
    '[2001:DB8::A]:8443',
  ])('accepts the X-Forwarded-Host %s', (host) => {
    // Act
    const fwd = readForwarded(forwardAuthRequest({ 'X-Forwarded-Host': host }));

    // Assess
    expect(fwd.host).toBe(host);
  });

  it.each([
    'bad host!',
    'a@b.com',
    'x/y',
    'app.example.com/evil',
    'app.example.com?x',
    'app.example.com#x',
    'app.example.com\\evil',
    'app.example.com:70000',
    'app.example.com:0',
    'app.example.com:',
    'app.example.com:8080:1',
    'app.example.com:abc',
    '[::1',
    '[zz::1]',
    '-',
    `${'a.'.repeat(128)}com`,
    bytes('bücher.example'),
  ])('rejects the X-Forwarded-Host %j with 400', (host) => {
    // Act
    const err = httpError(() => readForwarded(forwardAuthRequest({ 'X-Forwarded-Host': host })));

    // Assess
    expect(err.status).toBe(400);
    expect(err.message).toBe('Invalid header X-Forwarded-Host');
  });

  it.each(['ftp', 'file', 'javascript', 'https:'])('rejects X-Forwarded-Proto %s with 400', (proto) => {
    // Act
    const err = httpError(() =>
      readForwarded(forwardAuthRequest({ 'X-Forwarded-Host': 'a.example.com', 'X-Forwarded-Proto': proto })),
    );

    // Assess
    expect(err.status).toBe(400);
    expect(err.message).toBe('Invalid header X-Forwarded-Proto');
  });

  it.each(['::1', '[2001:db8::1]', '203.0.113.7, 198.51.100.1', '10.0.0.1,10.0.0.2'])(
    'accepts X-Forwarded-For %s',
    (xff) => {
      // Act
      const fwd = readForwarded(forwardAuthRequest({ 'X-Forwarded-Host': 'a.example.com', 'X-Forwarded-For': xff }));

      // Assess
      expect(fwd.clientIp).toBe(xff.split(',')[0]?.trim());
    },
  );

  it.each(['not-an-ip', 'example.com', 'unknown', '1.2.3.4:80', '999.1.1.1', 'a, 1.2.3.4'])(
    'rejects the non-IP X-Forwarded-For %j with 400',
    (xff) => {
      // Act
      const err = httpError(() =>
        readForwarded(forwardAuthRequest({ 'X-Forwarded-Host': 'a.example.com', 'X-Forwarded-For': xff })),
      );

      // Assess
      expect(err.status).toBe(400);
      expect(err.message).toBe('Invalid header X-Forwarded-For');
    },
  );

  it.each(['abc', '80a', '1.5', '-1', '70000', '123456'])('rejects the X-Forwarded-Port %j with 400', (port) => {
    // Act
    const err = httpError(() =>
      readForwarded(forwardAuthRequest({ 'X-Forwarded-Host': 'a.example.com', 'X-Forwarded-Port': port })),
    );

    // Assess
    expect(err.status).toBe(400);
    expect(err.message).toBe('Invalid header X-Forwarded-Port');
  });

  it('accepts a request without X-Forwarded-For and X-Forwarded-Port (AWS front doors)', () => {
    // Act
    const fwd = readForwarded(
      forwardAuthRequest({ Host: 'auth.example.com' }, 'https://auth.example.com/portals/main'),
    );

    // Assess
    expect(fwd).toEqual({ host: 'auth.example.com', scheme: 'https', uri: undefined, clientIp: undefined });
  });

  // Upstream answers 500 with no cookies for a host outside server.domains; a clear 400 here (DESIGN §3.9).
  it('rejects a forwarded host outside server.domains with 400', () => {
    // Prepare
    const d = deps(DEDICATED);
    const req = forwardAuthRequest({ 'X-Forwarded-Host': 'app.evil.com', 'X-Forwarded-Proto': 'https' });

    // Act
    const err = httpError(() => portalReq(d, req));

    // Assess
    expect(err.status).toBe(400);
    expect(err.message).toBe('Request host is not associated with this auth server');
  });
});

describe('IP-literal hosts with server.domains set (issue 12 §5)', () => {
  const withIp = { server: { domains: [...DEDICATED.server.domains, { domain: '192.0.2.10' }] } };

  it.each(['127.0.0.1', '127.0.0.1:4181', '[::1]', '2130706433', '0x7f.1'])(
    'refuses X-Forwarded-Host %j with 400',
    (host) => {
      // Prepare
      const d = deps(DEDICATED);
      const req = forwardAuthRequest({ 'X-Forwarded-Host': host, 'X-Forwarded-Proto': 'https' });

      // Act
      const err = httpError(() => portalReq(d, req));

      // Assess
      expect(err.status).toBe(400);
    },
  );

  it('accepts an X-Forwarded-Host IP that is listed in server.domains', () => {
    // Prepare
    const d = deps(withIp);

    // Act
    const got = returnUrl('/x', '192.0.2.10:8443', d);

    // Assess
    expect(got).toBe('https://192.0.2.10:8443/x');
  });

  it.each([
    'https://127.0.0.1/admin',
    'https://[::1]/',
    // WHATWG URL turns these into 127.0.0.1, and the check sees what the browser will.
    'https://2130706433/',
    'https://0x7f.1/',
    'http://192.0.2.11/',
  ])('refuses the return URL %j with 400', (url) => {
    // Prepare
    const d = deps(withIp);

    // Act
    const err = httpError(() => checkReturnUrl(d, url));

    // Assess
    expect(err.status).toBe(400);
    expect(err.message).toBe('Return URL is not on a domain served by this auth server');
  });

  it.each([
    ['https://192.0.2.10/a?b=1', 'https://192.0.2.10/a?b=1'],
    ['HTTPS://APP.Example.COM:443/./a/../b', 'https://app.example.com/b'],
    ['https://3221225994/', 'https://192.0.2.10/'],
  ])('accepts %j and returns the normalised URL it checked', (url, want) => {
    // Prepare
    const d = deps(withIp);

    // Act
    const got = checkReturnUrl(d, url);

    // Assess
    expect(got).toBe(want);
  });
});
