import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, type PageReport, screenshot, signInAtIdp } from './harness/browser.js';
import { freePort } from './harness/processes.js';
import { type E2EStack, pocketID, SECOND_CLIENT, startE2EStack } from './harness/stack.js';

/**
 * The portal's own pages in real headless Chromium (issues #5 and #15): the provider chooser with two providers, the
 * signed-in page (at P/profile and P/authenticated) and its Log out button, the logged-out banner, the error pages in
 * plain words with their next step, and the verify function's 403 page — all under their CSP. Screenshots of each go
 * to test-results/e2e/pages-*.png (harness/browser.ts).
 */
describe('portal pages in headless Chromium', () => {
  let browser: Browser | undefined;
  let stack: E2EStack | undefined;
  let portal = '';
  let origin = '';

  beforeAll(async () => {
    // The browser talks to the server directly, on a host name Chromium maps to 127.0.0.1.
    const port = await freePort();
    const closedPort = await freePort();
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
          // Explained denials: the 403 page names the condition.
          { name: 'strict', displayName: 'Strict Corp', explainDenials: true, providers: [pocketID(issuer)] },
          // A provider whose discovery cannot be fetched (nothing listens there): the provider step answers 502.
          {
            name: 'lab',
            providers: [
              {
                openIDConnect: {
                  displayName: 'Lab ID',
                  tokenIssuer: `http://127.0.0.1:${closedPort}`,
                  clientID: 'c',
                  clientSecret: 's',
                },
              },
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
    const profile = {
      heading: await page.getByRole('heading', { level: 1 }).textContent(),
      message: await page.locator('main .message').textContent(),
      logout: await page.getByRole('button', { name: 'Log out', exact: true }).count(),
      stylesheet: await page.locator('link[rel="stylesheet"]').count(),
    };
    await screenshot(page, 'pages-profile');

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
    expect(profile).toEqual({
      heading: 'Example Corp',
      message: "You're authenticated with provider Home account as alice.",
      logout: 1,
      stylesheet: 1,
    });
    expect(authenticated).toMatch(/You're authenticated with provider\s*Home account\s*as\s*alice/);
    expect(afterLogout.url).toMatch(new RegExp(`^${portal}/signin\\?state=.*&logout=1&provider=home$`));
    expect(afterLogout.providers).toBe(2);
    expect(afterLogout.banner).toContain('Signed out. You can sign back in with one of the buttons below.');
    expect(ours(report)).toEqual({ cspViolations: [], consoleErrors: [] });
  });

  /** The error page as the user reads it: heading, sentence, next-step button and the small print. */
  async function errorPageParts(page: Page) {
    const action = page.locator('.actions a');
    return {
      title: await page.title(),
      heading: await page.getByRole('heading', { level: 1 }).textContent(),
      text: await page.locator('main .message').textContent(),
      action: (await action.count()) ? [await action.textContent(), await action.getAttribute('href')] : undefined,
      small: await page.locator('.request-id').textContent(),
    };
  }

  it('says a used or expired sign-in link in plain words and starts again from the portal', async () => {
    // Prepare
    const { context, page, report } = await openPage(chromiumBrowser());

    // Act
    const res = await page.goto(`${portal}/oauth2/callback?state=work~AAAAAAAAAAA~BBBBBBBBBBBBBBBB&code=forged`);
    const parts = await errorPageParts(page);
    const requestId = res?.headers()['x-request-id'];
    await screenshot(page, 'pages-error-expired');
    await page.getByRole('link', { name: 'Start again' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${portal}/signin?state=`));
    await context.close();

    // Assess
    expect(res?.status()).toBe(401);
    expect(parts).toEqual({
      title: 'This sign-in link was already used or has expired',
      heading: 'This sign-in link was already used or has expired',
      text: 'A sign-in link works once, for a few minutes, and only in the browser that started the sign-in.',
      action: ['Start again', '/portals/main/profile'],
      small: `Error 401: State cookie not foundRequest ID: ${requestId}`,
    });
    expect(ours(report)).toEqual({ cspViolations: [], consoleErrors: [] });
  });

  it('says a sign-in cancelled at the provider was cancelled, and tries again', async () => {
    // Prepare
    const { context, page, report } = await openPage(chromiumBrowser());
    await page.goto(portal);
    await page.getByRole('link', { name: 'Sign in with Work account' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${stack?.idp.issuer}/interaction/`));

    // Act: the dev IdP's [ Cancel ] link answers the callback with error=access_denied
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${portal}/oauth2/callback`));
    const parts = await errorPageParts(page);
    await screenshot(page, 'pages-error-cancelled');
    await page.getByRole('link', { name: 'Try again' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${portal}/signin?state=`));
    await context.close();

    // Assess: "Try again" leads to the app the sign-in was for (here the profile page, so the chooser again)
    expect(parts).toMatchObject({
      heading: 'Sign-in was cancelled',
      text: 'The sign-in was cancelled at Work account, or it was not allowed there.',
      action: ['Try again', `${portal}/profile`],
    });
    expect(parts.small).toMatch(/^Error 424: The auth server returned an errorRequest ID: /);
    expect(ours(report)).toEqual({ cspViolations: [], consoleErrors: [] });
  });

  it('says which provider could not be reached (502) at the provider step', async () => {
    // Prepare
    const { context, page, report } = await openPage(chromiumBrowser());

    // Act: the lab portal has one provider, so sign-in goes straight to its (failing) start
    const res = await page.goto(`${origin}/portals/lab`);
    const parts = await errorPageParts(page);
    await screenshot(page, 'pages-error-unreachable');
    await context.close();

    // Assess
    expect(res?.status()).toBe(502);
    expect(res?.url()).toMatch(new RegExp(`^${origin}/portals/lab/providers/openidconnect\\?state=`));
    expect(parts).toMatchObject({
      heading: 'Lab ID could not be reached',
      action: ['Try again', `${origin}/portals/lab/profile`],
    });
    expect(ours(report)).toEqual({ cspViolations: [], consoleErrors: [] });
  });

  it('says a portal that does not exist does not exist', async () => {
    // Prepare
    const { context, page, report } = await openPage(chromiumBrowser());

    // Act
    const res = await page.goto(`${origin}/portals/nope/signin`);
    const parts = await errorPageParts(page);
    await screenshot(page, 'pages-error-no-portal');
    await context.close();

    // Assess: no default portal here, so no button
    expect(res?.status()).toBe(404);
    expect(parts).toMatchObject({ heading: 'This sign-in page does not exist', action: undefined });
    expect(ours(report)).toEqual({ cspViolations: [], consoleErrors: [] });
  });

  it('explains a denial: who is signed in, the 403 page, and "Sign in as someone else"', async () => {
    // Prepare: alice signs in to the portal, then opens a check whose condition she fails
    const { context, page, report } = await openPage(chromiumBrowser());
    await page.goto(portal);
    await page.getByRole('link', { name: 'Sign in with Work account' }).click();
    await signInAtIdp(page, stack?.idp.issuer ?? '', 'alice');
    await page.waitForURL(`${portal}/profile`);

    // Act
    const res = await page.goto(`${portal}?if=${encodeURIComponent('Group("staff")')}`);
    const denial = {
      heading: await page.getByRole('heading', { level: 1 }).textContent(),
      text: await page.locator('main .message').textContent(),
      small: await page.locator('.request-id').textContent(),
    };
    await screenshot(page, 'pages-denied');
    await page.getByRole('link', { name: 'Sign in as someone else' }).click();
    await page.waitForURL(`${portal}/authenticated`);
    const switchPage = await page.getByRole('button', { name: 'Log out', exact: true }).count();
    await context.close();

    // Assess
    expect(res?.status()).toBe(403);
    expect(res?.headers()['content-security-policy']).toMatch(/^default-src 'none'; style-src 'nonce-[0-9a-f]{32}';/);
    expect(denial).toEqual({
      heading: 'Access denied',
      text: `You're signed in as alice@example.com (Work account), but this account does not have access to auth.example.test:${new URL(origin).port}.`,
      small: `Access is controlled by Example Corp. Error 403Request ID: ${res?.headers()['x-request-id']}`,
    });
    expect(switchPage).toBe(1);
    expect(ours(report)).toEqual({ cspViolations: [], consoleErrors: [] });
  });

  it('names the failed condition on a portal with explainDenials', async () => {
    // Prepare
    const strict = `${origin}/portals/strict`;
    const { context, page, report } = await openPage(chromiumBrowser());
    await page.goto(strict);
    await signInAtIdp(page, stack?.idp.issuer ?? '', 'alice');
    await page.waitForURL(`${strict}/profile`);

    // Act
    const res = await page.goto(`${strict}?if=${encodeURIComponent('Group("staff")')}`);
    const text = await page.locator('main .message').textContent();
    await screenshot(page, 'pages-denied-explained');
    await context.close();

    // Assess
    expect(res?.status()).toBe(403);
    expect(text).toBe('You\'re signed in as alice@example.com (Pocket ID), but this app requires Group("staff").');
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
