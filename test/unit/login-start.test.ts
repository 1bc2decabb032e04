import { describe, expect, it } from 'vitest';
import { ConditionCache } from '../../shared/conditions/conditions.js';
import { validateConfig } from '../../shared/config/load.js';
import { HttpError } from '../../shared/http/errors.js';
import { createLogger } from '../../shared/log.js';
import { type CoreDeps, type PortalRequest, portalRequest } from '../../shared/routes/context.js';
import { type SigninDeps, signinRoute } from '../../shared/routes/signin.js';
import {
  encodeReturnParam,
  encodeStateCookie,
  isTopLevelNavigation,
  MAX_RETURN_URL,
  stateCookieId,
} from '../../shared/routes/state-cookie.js';
import { type VerifyDeps, verifyRoute } from '../../shared/routes/verify.js';
import { catchErrorAsync } from '../helpers/catch-error.js';

/** Issue 12 §1: who gets a state cookie, and sign-in URLs that start a login by themselves. */
const log = createLogger({ level: 'error', json: true, write: () => {} });

function deps(portal: Record<string, unknown> = {}): CoreDeps {
  const { config } = validateConfig({
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    portals: [
      {
        name: 'main',
        providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
        ...portal,
      },
    ],
  });
  return { config, log, now: () => Date.UTC(2026, 0, 2) };
}

function portalReq(d: CoreDeps, url: string, headers: Record<string, string>): PortalRequest {
  const portal = d.config.portals[0];
  if (!portal) throw new Error('no portal');
  return portalRequest(d, new Request(url, { headers }), portal, false, 'req-1', log);
}

const verifyDeps = (d = deps()): VerifyDeps => ({
  ...d,
  sessions: { get: async () => undefined },
  conditions: new ConditionCache(),
});

const FWD = { 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Uri': '/x?y=1' };
const HTML = 'text/html,application/xhtml+xml,*/*;q=0.8';

describe('isTopLevelNavigation', () => {
  it.each<{ name: string; headers: Record<string, string>; want: boolean }>([
    { name: 'a navigation', headers: { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' }, want: true },
    { name: 'navigate without a dest', headers: { 'Sec-Fetch-Mode': 'navigate' }, want: true },
    { name: 'an iframe', headers: { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'iframe' }, want: false },
    { name: 'an XHR', headers: { 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Dest': 'empty', Accept: HTML }, want: false },
    { name: 'an image', headers: { 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Dest': 'image' }, want: false },
    { name: 'a script', headers: { 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Dest': 'script' }, want: false },
    { name: 'no metadata, HTML', headers: { Accept: HTML }, want: true },
    { name: 'no metadata, no Accept', headers: {}, want: true },
    { name: 'no metadata, JSON', headers: { Accept: 'application/json' }, want: false },
    { name: 'no metadata, XMLHttpRequest', headers: { 'X-Requested-With': 'XMLHttpRequest' }, want: false },
  ])('says $want for $name', ({ headers, want }) => {
    // Act
    const got = isTopLevelNavigation(new Request('http://tfa/', { headers }));

    // Assess
    expect(got).toBe(want);
  });
});

describe('the forward-auth check of a logged-out browser', () => {
  it.each<{ name: string; headers: Record<string, string> }>([
    { name: 'an XHR', headers: { 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Dest': 'empty', Accept: '*/*' } },
    { name: 'an image', headers: { 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Dest': 'image', Accept: 'image/*' } },
    { name: 'an iframe', headers: { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'iframe', Accept: HTML } },
    { name: 'a JSON client', headers: { Accept: 'application/json' } },
    { name: 'nginx relaying a navigation', headers: { 'Sec-Fetch-Mode': 'navigate', Accept: 'application/json' } },
  ])('answers $name with 401, the sign-in URL and no cookie', async ({ headers }) => {
    // Prepare
    const d = verifyDeps();

    // Act
    const res = await verifyRoute(d, portalReq(d, 'http://tfa/portals/main', { ...FWD, ...headers }));

    // Assess
    const signin = `https://auth.example.com/portals/main/signin?return=${encodeReturnParam('https://app.example.com/x?y=1')}`;
    expect(res.status).toBe(401);
    expect(res.headers.get('X-Forward-Auth-Signin-Url')).toBe(signin);
    expect(await res.json()).toEqual({ error: 'Not authenticated', signinUrl: signin });
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('answers an always401 portal with 401 and no cookie, even for a navigation', async () => {
    // Prepare
    const d = verifyDeps(deps({ always401: true }));

    // Act
    const res = await verifyRoute(
      d,
      portalReq(d, 'http://tfa/portals/main', { ...FWD, 'Sec-Fetch-Mode': 'navigate', Accept: HTML }),
    );

    // Assess
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('answers a top-level navigation with 303 and exactly one state cookie', async () => {
    // Prepare
    const d = verifyDeps();
    const headers = { ...FWD, 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document', Accept: HTML };

    // Act
    const res = await verifyRoute(d, portalReq(d, 'http://tfa/portals/main', headers));

    // Assess
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie()).toHaveLength(1);
    expect(res.headers.getSetCookie()[0]).toMatch(
      new RegExp(`^tf_state_main_${stateCookieId('https://app.example.com/x?y=1')}=`),
    );
  });
});

describe('a sign-in URL without a state cookie', () => {
  const signinDeps = (): SigninDeps => ({
    ...deps(),
    signinPage: () => new Response('chooser', { headers: { 'Content-Type': 'text/html' } }),
    providers: { get: () => undefined },
  });
  const AUTH = { 'X-Forwarded-Host': 'auth.example.com', 'X-Forwarded-Proto': 'https' };
  const NAV = { ...AUTH, 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document', Accept: HTML };
  const url = (ret: string, extra = '') => `http://tfa/portals/main/signin?return=${encodeReturnParam(ret)}${extra}`;

  it('starts a login by itself when a browser navigates to it: state cookie and 303 to the provider', async () => {
    // Prepare
    const d = signinDeps();
    const ret = 'https://app.example.com/x?y=1';

    // Act
    const res = await signinRoute(d, portalReq(d, url(ret), NAV));

    // Assess
    const id = stateCookieId(ret);
    const cookies = res.headers.getSetCookie();
    expect(res.status).toBe(303);
    expect(cookies).toHaveLength(1);
    const nonce = cookies[0]?.match(new RegExp(`^tf_state_main_${id}=([^.]+)\\.`))?.[1];
    expect(res.headers.get('Location')).toBe(
      `https://auth.example.com/portals/main/providers/pocketid?state=${id}~${nonce}&return=${encodeReturnParam(ret)}`,
    );
  });

  it('keeps the state cookie it finds for the return URL (same nonce, nothing set)', async () => {
    // Prepare
    const d = signinDeps();
    const ret = 'https://app.example.com/';
    const id = stateCookieId(ret);
    const cookie = encodeStateCookie({
      nonce: 'bm9uY2Utbm9uY2Ut',
      secret: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ',
      createdAt: 1,
    });

    // Act
    const res = await signinRoute(
      d,
      portalReq(d, url(ret, `&state=${id}~bm9uY2Utbm9uY2Ut`), { ...NAV, Cookie: `tf_state_main_${id}=${cookie}` }),
    );

    // Assess
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get('Location')).toContain(`state=${id}~bm9uY2Utbm9uY2Ut&`);
  });

  it('restarts at the portal without issuing a cookie when the request is not a navigation', async () => {
    // Prepare
    const d = signinDeps();

    // Act
    const res = await signinRoute(
      d,
      portalReq(d, url('https://app.example.com/'), {
        ...AUTH,
        'Sec-Fetch-Mode': 'no-cors',
        'Sec-Fetch-Dest': 'image',
      }),
    );

    // Assess
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('https://auth.example.com/portals/main');
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it.each([
    { name: 'another domain', ret: 'https://evil.com/' },
    { name: 'a look-alike domain', ret: 'https://example.com.evil.com/' },
    { name: 'credentials', ret: 'https://user:pw@app.example.com/' },
    { name: 'a javascript: URL', ret: 'javascript:alert(1)//app.example.com' },
    { name: 'a relative URL', ret: '/x' },
    { name: 'more than 2048 bytes', ret: `https://app.example.com/${'x'.repeat(MAX_RETURN_URL)}` },
  ])('rejects a return URL with $name (400, no cookie)', async ({ ret }) => {
    // Prepare
    const d = signinDeps();

    // Act
    const err = await catchErrorAsync(() => signinRoute(d, portalReq(d, url(ret), NAV)), HttpError);

    // Assess
    expect(err).toBeInstanceOf(HttpError);
    expect(err.status).toBe(400);
  });

  it.each(['%%%', 'a+b', 'x'.repeat(3000)])('rejects a malformed return parameter %# (400)', async (raw) => {
    // Prepare
    const d = signinDeps();

    // Act
    const err = await catchErrorAsync(
      () => signinRoute(d, portalReq(d, `http://tfa/portals/main/signin?return=${raw}`, NAV)),
      HttpError,
    );

    // Assess
    expect(err.status).toBe(400);
  });
});
