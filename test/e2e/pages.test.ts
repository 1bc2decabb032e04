import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, type PageReport, screenshot, signInAtIdp } from './harness/browser.js';
import { freePort } from './harness/processes.js';
import { type E2EStack, pocketID, SECOND_CLIENT, startE2EStack } from './harness/stack.js';

/**
 * The portal's own pages in real headless Chromium (issue #5): the provider chooser with two providers, the
 * "authenticated" page and its Log out button, the logged-out banner, and the error page — all under their CSP.
 */
describe('portal pages in headless Chromium', () => {
  let browser: Browser | undefined;
  let stack: E2EStack | undefined;
  let portal = '';
  let origin = '';

  beforeAll(async () => {
    // The browser talks to the server directly, on a host name Chromium maps to 127.0.0.1.
    const port = await freePort();
    origin = `http://auth.example.test:${port}`;
    portal = `${origin}/portals/main`;
    stack = await startE2EStack(
      (issuer) => ({
        server: { domains: [{ domain: 'example.test', authHost: `auth.example.test:${port}` }] },
        cookies: { insecure: true },
        portals: [
          {
            name: 'main',
            displayName: 'Example Corp',
            providers: [
              pocketID(issuer, { name: 'work', displayName: 'Work account', icon: 'pocketid', color: 'blue' }),
              pocketID(issuer, {
                name: 'home',
                displayName: 'Home account',
                icon: 'openid',
                color: 'amber',
                clientID: SECOND_CLIENT.clientId,
                clientSecret: SECOND_CLIENT.clientSecret,
              }),
            ],
          },
        ],
      }),
      { port },
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  function chromiumBrowser(): Browser {
    if (!browser) throw new Error('Chromium did not start');
    return browser;
  }

  /**
   * What our own pages reported (the IdP's login page is not ours to judge). Chromium also logs an error page's own
   * HTTP status ("Failed to load resource: … 401") as a console error; that one is expected, not a page fault.
   */
  const ours = (report: PageReport) => ({
    cspViolations: report.cspViolations.filter((v) => v.url.startsWith(origin)),
    consoleErrors: report.console.filter(
      (m) =>
        m.url.startsWith(origin) &&
        m.type === 'error' &&
        !(m.source === m.url && m.text.startsWith('Failed to load resource: the server responded with a status of')),
    ),
  });

  it('signs in through the chooser with the provider clicked, then logs out to the logged-out banner', async () => {
    // Prepare
    const { context, page, report } = await openPage(chromiumBrowser());

    // Act: the chooser
    const chooserResponse = await page.goto(portal);
    await page.waitForURL((u) => u.href.startsWith(`${portal}/signin?state=`));
    const work = page.getByRole('link', { name: 'Sign in with Work account' });
    const home = page.getByRole('link', { name: 'Sign in with Home account' });
    await work.waitFor();
    // icons.js (a nonce'd external script) draws the provider icons.
    await page.locator('[data-icon="openid"] svg').waitFor();
    const chooser = {
      heading: await page.getByRole('heading', { level: 1 }).textContent(),
      work: await work.getAttribute('href'),
      home: await home.getAttribute('href'),
      csp: chooserResponse?.headers()['content-security-policy'],
    };
    await screenshot(page, 'pages-chooser');

    // Act: sign in with the second provider
    await home.click();
    await signInAtIdp(page, stack?.idp.issuer ?? '', 'alice');
    await page.waitForURL(`${portal}/profile`);
    const profile = await page.locator('body').textContent();

    // Act: the authenticated page and its Log out button
    await page.goto(`${portal}/authenticated`);
    const authenticated = await page.locator('main').textContent();
    await screenshot(page, 'pages-authenticated');
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByText('Signed out.').waitFor();
    const afterLogout = {
      url: page.url(),
      providers: await page.getByRole('link', { name: /^Sign in with / }).count(),
      banner: await page.getByRole('status').textContent(),
    };
    await screenshot(page, 'pages-logged-out');
    await context.close();

    // Assess
    expect(chooser.heading).toBe('Example Corp');
    expect(chooser.work).toMatch(new RegExp(`^${portal}/providers/work\\?state=`));
    expect(chooser.home).toMatch(new RegExp(`^${portal}/providers/home\\?state=`));
    expect(chooser.csp).toContain("default-src 'none'");
    expect(profile).toContain('Provider: home');
    expect(profile).toContain('ID: alice');
    expect(authenticated).toMatch(/You're authenticated with provider\s*Home account\s*as\s*alice/);
    expect(afterLogout.url).toMatch(new RegExp(`^${portal}/signin\\?state=.*&logout=1&provider=home$`));
    expect(afterLogout.providers).toBe(2);
    expect(afterLogout.banner).toContain('Signed out. You can sign back in with one of the buttons below.');
    expect(ours(report)).toEqual({ cspViolations: [], consoleErrors: [] });
  });

  it('shows an error page without CSP violations when a callback arrives with no login in progress', async () => {
    // Prepare
    const { context, page, report } = await openPage(chromiumBrowser());

    // Act
    const res = await page.goto(`${portal}/oauth2/callback?state=work~AAAAAAAAAAA~BBBBBBBBBBBBBBBB&code=forged`);
    const text = await page.locator('body').textContent();
    await screenshot(page, 'pages-error');
    await context.close();

    // Assess
    expect(res?.status()).toBe(401);
    expect(text).toContain('State cookie not found');
    expect(ours(report)).toEqual({ cspViolations: [], consoleErrors: [] });
  });

  it("enforces the pages' CSP: an injected inline script is blocked and reported", async () => {
    // Prepare
    const { context, page, report } = await openPage(chromiumBrowser());
    await page.goto(portal);
    await page.waitForURL((u) => u.href.startsWith(`${portal}/signin?state=`));

    // Act
    // An inline script element runs synchronously when inserted, unless the CSP blocks it.
    const ran = await page.evaluate(`(() => {
      const s = document.createElement('script');
      s.textContent = 'globalThis.__injected = true';
      document.body.append(s);
      return globalThis.__injected === true;
    })()`);
    // The violation event reaches the test through a binding, asynchronously.
    await expect.poll(() => ours(report).cspViolations.length).toBeGreaterThan(0);
    await context.close();

    // Assess
    expect(ran).toBe(false);
    expect(ours(report).cspViolations).toEqual([expect.objectContaining({ directive: 'script-src-elem' })]);
  });
});
