import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDevice } from '../../shared/routes/signed-in-page.js';
import { basicConfig, type Stack, startStack } from '../helpers/stack.js';

const APP = 'https://app.example.com/dashboard';
const PAGE = 'https://auth.example.com/portals/main/authenticated';
const END = 'https://auth.example.com/portals/main/sessions/end';
const ORIGIN = { Origin: 'https://auth.example.com', 'Content-Type': 'application/x-www-form-urlencoded' };
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** The short session ids in the page's "End this session" forms, in page order. */
function endButtons(body: string): string[] {
  return [...body.matchAll(/name="session" value="([\w-]+)"/g)].map((m) => m[1] as string);
}

describe("the signed-in page lists the user's sessions and ends one", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: (issuer) => basicConfig(issuer) });
  });
  afterAll(() => stack?.close());

  it('shows each device with its sign-in time, marks this device, and offers to end the others only', async () => {
    const laptop = stack.browser({ userAgent: FIREFOX });
    const phone = stack.browser({ userAgent: SAFARI_IPHONE });
    const colleague = stack.browser();
    await laptop.login(APP, 'alice');
    await phone.login(APP, 'alice');
    await colleague.login(APP, 'bob');

    const page = await laptop.request(PAGE);

    expect(page.status).toBe(200);
    expect(page.body).toContain('<h2 id="sessions-title">Your sessions</h2>');
    expect(page.body).toMatch(
      /<span class="session-device">Firefox on Linux, 203\.0\.113\.7<\/span><span class="session-meta">signed in \d{4}-\d\d-\d\d \d\d:\d\d UTC<\/span><span class="session-this">this device<\/span>/,
    );
    expect(page.body).toContain('<span class="session-device">Safari on iOS, 203.0.113.7</span>');
    expect(page.body).not.toContain('vitest-browser');
    expect(endButtons(page.body)).toHaveLength(1);
    expect(page.body).toContain('action="https://auth.example.com/portals/main/sessions/end"');
  });

  it('ends the chosen session (the other device gets 303 at once) and comes back to the page with 303', async () => {
    const laptop = stack.browser({ userAgent: FIREFOX });
    const phone = stack.browser({ userAgent: SAFARI_IPHONE });
    await laptop.login(APP, 'carol');
    await phone.login(APP, 'carol');
    const [phoneId] = endButtons((await laptop.request(PAGE)).body);

    const res = await laptop.request(END, { method: 'POST', headers: ORIGIN, body: `session=${phoneId}` });

    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(PAGE);
    expect((await phone.request(APP)).status).toBe(303);
    expect((await laptop.request(APP)).status).toBe(200);
    expect(endButtons((await laptop.request(PAGE)).body)).toEqual([]);
  });

  it("ignores another user's session id: nothing is ended and the page does not say whether it exists", async () => {
    const mallory = stack.browser();
    const victim = stack.browser();
    await mallory.login(APP, 'mallory');
    await victim.login(APP, 'dave');
    const victimPhone = stack.browser();
    await victimPhone.login(APP, 'dave');
    const [victimId] = endButtons((await victim.request(PAGE)).body);

    const res = await mallory.request(END, { method: 'POST', headers: ORIGIN, body: `session=${victimId}` });

    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(PAGE);
    expect((await victimPhone.request(APP)).status).toBe(200);
  });

  it('rejects a cross-origin POST (a sibling sub-domain) with 403 and ends nothing', async () => {
    const laptop = stack.browser();
    const phone = stack.browser();
    await laptop.login(APP, 'erin');
    await phone.login(APP, 'erin');
    const [phoneId] = endButtons((await laptop.request(PAGE)).body);

    const fromApp = await laptop.request(END, {
      method: 'POST',
      headers: { ...ORIGIN, Origin: 'https://app.example.com' },
      body: `session=${phoneId}`,
    });
    const crossSite = await laptop.request(END, {
      method: 'POST',
      headers: { ...ORIGIN, 'Sec-Fetch-Site': 'same-site' },
      body: `session=${phoneId}`,
    });

    expect(fromApp.status).toBe(403);
    expect(crossSite.status).toBe(403);
    expect((await phone.request(APP)).status).toBe(200);
  });

  it('sends a browser without a session back to the portal', async () => {
    const anonymous = stack.browser();

    const res = await anonymous.request(END, { method: 'POST', headers: ORIGIN, body: 'session=abcdefabcdef' });

    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://auth.example.com/portals/main');
  });
});

describe('POST logout and logout everywhere come only from our own pages', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: (issuer) => basicConfig(issuer) });
  });
  afterAll(() => stack?.close());
  const LOGOUT = 'https://auth.example.com/portals/main/logout';

  it.each([
    ['a sibling sub-domain (Origin)', LOGOUT, { Origin: 'https://app.example.com' }],
    [
      'a sibling sub-domain (Origin and Sec-Fetch-Site)',
      LOGOUT,
      { Origin: 'https://app.example.com', 'Sec-Fetch-Site': 'same-site' },
    ],
    [
      'a sibling sub-domain, everywhere',
      `${LOGOUT}?everywhere=1`,
      { Origin: 'https://evil.example.com', 'Sec-Fetch-Site': 'same-site' },
    ],
    ['another site', `${LOGOUT}?everywhere=1`, { Origin: 'https://evil.test', 'Sec-Fetch-Site': 'cross-site' }],
    ['an opaque origin', LOGOUT, { Origin: 'null' }],
    ['the auth host over http', LOGOUT, { Origin: 'http://auth.example.com' }],
  ])('refuses a logout from %s with 403 and ends nothing', async (_name, url, headers) => {
    // Prepare: two devices of one user
    const laptop = stack.browser();
    const phone = stack.browser();
    await laptop.login(APP, 'grace');
    await phone.login(APP, 'grace');

    // Act
    const res = await laptop.request(url, { method: 'POST', headers });

    // Assess
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await laptop.request(APP)).status).toBe(200);
    expect((await phone.request(APP)).status).toBe(200);
  });

  it.each([
    ['Origin = the auth host', { Origin: 'https://auth.example.com' }],
    ['Sec-Fetch-Site: same-origin', { Origin: 'https://auth.example.com', 'Sec-Fetch-Site': 'same-origin' }],
    ['Sec-Fetch-Site: none (typed or bookmarked)', { 'Sec-Fetch-Site': 'none' }],
    ['neither header (not a browser: curl)', {}],
  ])('logs out with %s', async (_name, headers) => {
    // Prepare
    const laptop = stack.browser();
    await laptop.login(APP, 'heidi');

    // Act
    const res = await laptop.request(LOGOUT, { method: 'POST', headers });

    // Assess
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://auth.example.com/portals/main?logout=1&provider=pocketid');
    expect((await laptop.request(APP)).status).toBe(303);
  });
});

describe('describeDevice', () => {
  it.each([
    [FIREFOX, '192.0.2.1', 'Firefox on Linux, 192.0.2.1'],
    [SAFARI_IPHONE, undefined, 'Safari on iOS'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
      undefined,
      'Edge on Windows',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
      undefined,
      'Chrome on macOS',
    ],
    ['curl/8.5.0', '::1', 'curl, ::1'],
    ['something/1.0', undefined, 'Unknown browser'],
    [undefined, undefined, 'Unknown device'],
  ])('names %s as %s', (userAgent, ip, expected) => {
    expect(describeDevice({ userAgent, ip })).toBe(expected);
  });
});
