import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import { echoedOnPage, openPage, redirectChain, screenshot } from './browser.js';
import {
  cookieHeader,
  FORGED_HEADERS,
  identityAsSeenByApp,
  type ProxiedApp,
  rawGet,
  sessionCookies,
  signInThroughProxy,
  signOutThroughProxy,
} from './flows.js';
import type { EchoedRequest } from './upstream.js';

export interface ProxySuiteOptions {
  /** Screenshot name prefix, e.g. `caddy-dedicated`. */
  slug: string;
  /** What the proxy answers a browser without a session: Caddy relays our 303, nginx builds a 302 from our 401. */
  signinStatus: 302 | 303;
  browser(): Browser;
  app(): ProxiedApp;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The behaviour every supported proxy recipe must show, driven through the real proxy: browser login round trip,
 * logout, and header spoofing with and without a session.
 */
export function proxyBehaviour(o: ProxySuiteOptions): void {
  const signinUrl = () => new RegExp(`^${escapeRegExp(o.app().portalUri)}/signin\\?(state=|return=)`);

  it('sends a browser through sign-in and back to the original URL with its query; the app gets X-Forwarded-User', async () => {
    // Prepare
    const app = o.app();
    const { context, page } = await openPage(o.browser());
    const path = '/reports/2026?q=e2e%20run&tag=a&tag=b';

    // Act
    const chain = await signInThroughProxy(page, app, path);
    const echoed = await echoedOnPage(page);
    await screenshot(page, `${o.slug}-app`);
    await context.close();

    // Assess
    expect(chain[0]).toBe(`${app.appOrigin}${path}`);
    expect(chain[1]).toMatch(signinUrl());
    expect(page.url()).toBe(`${app.appOrigin}${path}`);
    expect(echoed.url).toBe(path);
    expect(echoed.headers['x-forwarded-user']).toBe('alice');
    expect(echoed.headers['x-forwarded-displayname']).toBe('Alice Example');
    expect(JSON.parse(String(echoed.headers['x-authenticated-user']))).toEqual({
      provider: 'pocketid',
      portal: 'main',
      user: 'alice',
    });
  });

  it('gives the app its own cookies and never the session or login-state cookies, with the identity headers', async () => {
    // Prepare: signed in, plus an app cookie on the app host and one on the parent domain, and a stray state cookie.
    const app = o.app();
    const { context, page } = await openPage(o.browser());
    await signInThroughProxy(page, app, '/cookies/before');
    const host = new URL(app.appOrigin).hostname;
    await context.addCookies([
      { name: 'app_pref', value: 'dark%3Bmode', domain: host, path: '/' },
      { name: 'shared', value: 'on-parent', domain: `.${host.split('.').slice(1).join('.')}`, path: '/' },
      { name: 'tf_state_main_stray', value: 'x', domain: host, path: '/' },
    ]);
    const sent = await cookieHeader(context, app);

    // Act (closing only once the page is idle: a favicon fetch cut off mid-check would make the proxy log an error)
    await page.goto(`${app.appOrigin}/cookies/after`);
    const echoed = await echoedOnPage(page);
    await page.waitForLoadState('networkidle');
    await context.close();

    // Assess: the browser did send the session cookie; the app got everything else, byte for byte.
    expect(sent).toMatch(/(^|; )tf_sess_main=/);
    const cookies = String(echoed.headers.cookie).split('; ').sort();
    expect(cookies).toEqual(['app_pref=dark%3Bmode', 'shared=on-parent']);
    expect(echoed.headers['x-forwarded-user']).toBe('alice');
    expect(JSON.parse(String(echoed.headers['x-authenticated-user'])).user).toBe('alice');
  });

  it('removes the Cookie header when the browser has only auth cookies for the app', async () => {
    // Prepare
    const app = o.app();
    const { context, page } = await openPage(o.browser());
    await signInThroughProxy(page, app, '/cookies/only-session');
    const cookie = await cookieHeader(context, app);
    await page.waitForLoadState('networkidle');
    await context.close();

    // Act
    const res = await rawGet(app, '/cookies/only-session?raw=1', { Cookie: cookie, Accept: 'application/json' });
    const echoed = JSON.parse(res.body) as EchoedRequest;

    // Assess (Caddy 2.6 sends an empty Cookie header after the recipe's clean-up line; nginx sends none)
    expect(res.status).toBe(200);
    expect(cookie).toMatch(/^tf_sess_main=/);
    expect(echoed.headers.cookie ?? '').toBe('');
    expect(echoed.headers['x-forwarded-user']).toBe('alice');
  });

  it('after logging out, the next visit to the app is sent to sign in again', async () => {
    // Prepare
    const app = o.app();
    const { context, page, report } = await openPage(o.browser());
    await signInThroughProxy(page, app, '/before-logout');

    // Act
    await signOutThroughProxy(page, app);
    await screenshot(page, `${o.slug}-logged-out`);
    const cookiesAfterLogout = await sessionCookies(context, app);
    const chain = redirectChain(await page.goto(`${app.appOrigin}/after-logout`));
    await context.close();

    // Assess
    expect(cookiesAfterLogout).toEqual([]);
    // The portal pages behind the proxy (authenticated page, chooser) ran under their CSP without violations.
    expect(report.cspViolations.filter((v) => v.url.startsWith(new URL(app.portalUri).origin))).toEqual([]);
    // Sent to sign in (the IdP still has its own session, so it may sign alice straight back in afterwards).
    expect(chain[0]).toBe(`${app.appOrigin}/after-logout`);
    expect(chain[1]).toMatch(signinUrl());
  });

  it('turns away a client that forges identity headers without a session, before the app sees it', async () => {
    // Prepare (a unique path: browsers of other tests may still be fetching, say, a favicon through the proxy)
    const app = o.app();
    const path = `/forged/${randomUUID()}`;

    // Act
    const res = await rawGet(app, path, { ...FORGED_HEADERS, Accept: 'text/html' });

    // Assess
    expect(res.status).toBe(o.signinStatus);
    expect(res.headers.location).toMatch(signinUrl());
    // A state cookie only where the auth server answered the navigation itself (nginx gets a cookie-less 401).
    if (o.signinStatus === 303) expect(res.headers['set-cookie']?.[0]).toMatch(/^tf_state_main_/);
    else expect(res.headers['set-cookie']).toBeUndefined();
    expect(app.echo.received.filter((r) => r.url === path)).toEqual([]);
  });

  it.each([
    ['alice', 'Alice Example'],
    ['nameless', undefined],
    ['zoe', 'Zoë Ünïcode 名前'],
  ])(
    'gives the app only the auth server identity when %s, signed in, forges identity headers',
    async (user, displayName) => {
      // Prepare
      const app = o.app();
      const { context, page } = await openPage(o.browser());
      await signInThroughProxy(page, app, '/whoami', user);
      const cookie = await cookieHeader(context, app);
      await context.close();

      // Act
      const res = await rawGet(app, '/whoami?forged=1', {
        ...FORGED_HEADERS,
        Cookie: cookie,
        Accept: 'application/json',
      });
      const seen = identityAsSeenByApp(JSON.parse(res.body) as EchoedRequest);

      // Assess
      expect(res.status).toBe(200);
      expect(seen['x-forwarded-user']).toEqual([user]);
      expect(JSON.parse(seen['x-authenticated-user']?.[0] ?? '{}')).toEqual({
        provider: 'pocketid',
        portal: 'main',
        user,
      });
      // No forged value under any spelling. (Without a display name, nginx sends none; Caddy 2.6.2 sends its unresolved
      // placeholder text — see docs/proxies.md.)
      expect(JSON.stringify(seen)).not.toMatch(/mallory/i);
      // Node reads header bytes as latin1: the UTF-8 bytes of the name, once (not `ZoÃ«`, re-encoded on the way).
      if (displayName)
        expect(seen['x-forwarded-displayname']?.map((v) => Buffer.from(v, 'latin1').toString('utf8'))).toEqual([
          displayName,
        ]);
    },
  );

  it("passes the browser's Sec-Fetch-* on to the check: an XHR gets the 401 and no state cookie", async () => {
    // Act
    const res = await rawGet(o.app(), `/xhr/${randomUUID()}`, {
      Accept: '*/*',
      'Sec-Fetch-Mode': 'cors',
      'Sec-Fetch-Dest': 'empty',
      'Sec-Fetch-Site': 'same-origin',
    });

    // Assess (nginx turns every 401 into its redirect to the sign-in URL)
    expect(res.status).toBe(o.signinStatus === 303 ? 401 : 302);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('never locks the browser out when a logged-out SPA polls with 2 KB cache-busting URLs (cookie bomb)', async () => {
    // Prepare: an SPA loaded while signed in, whose session then went away (expired, or revoked elsewhere)
    const app = o.app();
    const { context, page } = await openPage(o.browser());
    await signInThroughProxy(page, app, '/spa');
    await context.clearCookies();

    // Act: it keeps polling, each XHR with its own 2 KB URL (the pattern that used to pile up state cookies)
    const answers = (await page.evaluate(`(async () => {
      const out = [];
      for (let i = 0; i < 30; i++) {
        const r = await fetch('/poll/' + 'x'.repeat(1900) + '?cb=' + i, { redirect: 'manual' });
        out.push(r.type === 'opaqueredirect' ? 'redirect' : r.status);
      }
      return out;
    })()`)) as (number | string)[];
    const stateBytes = (await context.cookies(app.appOrigin))
      .filter((c) => c.name.startsWith('tf_state_'))
      .reduce((n, c) => n + c.name.length + c.value.length + 3, 0);
    const chain = await signInThroughProxy(page, app, '/after-polling');
    const landed = page.url();
    await context.close();

    // Assess: every poll was turned away, the state cookies stayed within their 3 KB budget (none at all through
    // nginx; plain-HTTP origins get no Sec-Fetch-* from Chromium, so through Caddy the Accept rule applies), and the
    // next navigation still signs in
    expect(answers.every((a) => a === 401 || a === 303 || a === 'redirect')).toBe(true);
    expect(stateBytes).toBeLessThanOrEqual(3072);
    expect(chain[1]).toMatch(signinUrl());
    expect(landed).toBe(`${app.appOrigin}/after-polling`);
  });
}
