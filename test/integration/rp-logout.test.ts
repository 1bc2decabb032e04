import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, basicConfig, type Hop, type Stack, startStack, TEST_CLIENT } from '../helpers/stack.js';

const APP = 'https://app.example.com/dashboard';
const PORTAL = 'https://auth.example.com/portals/main';
const LOGGED_OUT = `${PORTAL}/logged-out`;

/** The href of the page's "Sign out of … too" link (HTML-unescaped), if any. */
function providerLogoutLink(page: Hop): string | undefined {
  const href = /<a class="link-button" href="([^"]+)">Sign out of /.exec(page.body)?.[1];
  return href?.replaceAll('&amp;', '&');
}

/** Confirms the dev IdP's "Do you want to sign-out?" page (oidc-provider's logout form) and follows where it goes. */
async function confirmAtIdp(b: Browser, page: Hop): Promise<Hop[]> {
  const action = /<form id="op\.logoutForm" method="post" action="([^"]+)">/.exec(page.body)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!action || !xsrf) throw new Error(`not the IdP's logout page: ${page.body.slice(0, 200)}`);
  const res = await b.request(new URL(action, page.url).href, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  });
  const location = res.headers.get('location');
  if (!location) throw new Error(`the IdP did not redirect after logout: ${res.status}`);
  return [res, ...(await b.navigate(location))];
}

/** Whether opening the app stops at the IdP's login form (no provider session) instead of signing straight in. */
async function needsIdpLogin(stack: Stack, b: Browser): Promise<boolean> {
  const last = (await b.navigate(APP)).at(-1);
  return last?.url.startsWith(stack.idp.issuer) === true && last.status === 200 && last.body.includes('name="login"');
}

describe('RP-initiated logout offered on the logged-out page (logoutAtProvider off)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: (issuer) => basicConfig(issuer),
      idp: { allowPostLogoutRedirect: (u) => u.href === LOGGED_OUT },
    });
  });
  afterAll(() => stack?.close());

  it('signs straight back in through the provider after a local logout: why the page offers more', async () => {
    const b = stack.browser();
    await b.login(APP, 'alice');

    await b.request(`${PORTAL}/logout`, { method: 'POST' });
    const again = (await b.navigate(APP)).at(-1);

    expect(again?.url).toBe(APP);
    expect(again?.status).toBe(200);
  });

  it('says "Signed out" and links to the end-session endpoint with client_id, post_logout_redirect_uri and state', async () => {
    const b = stack.browser();
    await b.login(APP, 'alice');

    const logout = await b.request(`${PORTAL}/logout`, { method: 'POST' });
    const page = (await b.navigate(logout.headers.get('location') ?? '')).at(-1) as Hop;

    expect(page.status).toBe(200);
    expect(page.body).toContain('Signed out. You can sign back in with the button below.');
    expect(page.body).toContain('You may still be signed in at Pocket ID, which would sign you straight back in here.');
    const link = new URL(providerLogoutLink(page) ?? '');
    expect(link.origin + link.pathname).toBe(`${stack.idp.issuer}/api/oidc/end-session`);
    expect(Object.fromEntries(link.searchParams)).toEqual({
      client_id: TEST_CLIENT.clientId,
      post_logout_redirect_uri: LOGGED_OUT,
      state: 'pocketid',
    });
  });

  it('signs out at the provider through the link and comes back to "signed out of Pocket ID too"', async () => {
    const b = stack.browser();
    await b.login(APP, 'alice');
    const logout = await b.request(`${PORTAL}/logout`, { method: 'POST' });
    const page = (await b.navigate(logout.headers.get('location') ?? '')).at(-1) as Hop;

    const confirm = await b.request(providerLogoutLink(page) ?? '');
    const hops = await confirmAtIdp(b, confirm);

    expect(hops[0]?.headers.get('location')).toBe(`${LOGGED_OUT}?state=pocketid`);
    expect(hops[1]?.status).toBe(303);
    expect(hops[1]?.headers.get('location')).toBe(`${PORTAL}?logout=1&provider=pocketid&idp=1`);
    const last = hops.at(-1);
    expect(last?.body).toContain(
      'Signed out. You are signed out of Pocket ID too. You can sign back in with the button below.',
    );
    expect(last && providerLogoutLink(last)).toBeUndefined();
    expect(await needsIdpLogin(stack, b)).toBe(true);
  });

  it('lands on the plain logged-out page when the provider comes back with an unknown state', async () => {
    const res = await stack.browser().request(`${LOGGED_OUT}?state=nope~x`);

    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${PORTAL}?logout=1`);
  });

  it('says how many sessions ended after "log out on all devices"', async () => {
    const laptop = stack.browser();
    const phone = stack.browser();
    await laptop.login(APP, 'bob');
    await phone.login(APP, 'bob');

    const logout = await laptop.request(`${PORTAL}/logout?everywhere=1`, { method: 'POST' });
    const page = (await laptop.navigate(logout.headers.get('location') ?? '')).at(-1) as Hop;

    expect(logout.headers.get('location')).toBe(`${PORTAL}?logout=1&sessions=2&provider=pocketid`);
    expect(page.body).toContain('Signed out on all devices (2 sessions).');
    expect(new URL(providerLogoutLink(page) ?? '').searchParams.get('state')).toBe('pocketid~2');
  });
});

describe('RP-initiated logout straight from POST logout (logoutAtProvider: true)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: (issuer) =>
        basicConfig(issuer, {
          portal: {
            providers: [
              {
                pocketID: {
                  endpoint: issuer,
                  clientID: TEST_CLIENT.clientId,
                  clientSecret: TEST_CLIENT.clientSecret,
                  logoutAtProvider: true,
                },
              },
            ],
          },
        }),
      idp: { allowPostLogoutRedirect: (u) => u.href === LOGGED_OUT },
    });
  });
  afterAll(() => stack?.close());

  it('answers 303 to the end-session endpoint with the ID token as id_token_hint, and ends the session here', async () => {
    const b = stack.browser();
    await b.login(APP, 'alice');

    const logout = await b.request(`${PORTAL}/logout`, { method: 'POST' });

    expect(logout.status).toBe(303);
    const location = new URL(logout.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(`${stack.idp.issuer}/api/oidc/end-session`);
    const hint = decodeJwt(location.searchParams.get('id_token_hint') ?? '');
    expect(hint).toMatchObject({ iss: stack.idp.issuer, aud: TEST_CLIENT.clientId, sub: 'alice' });
    expect(location.searchParams.get('client_id')).toBe(TEST_CLIENT.clientId);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(LOGGED_OUT);
    expect(location.searchParams.get('state')).toBe('pocketid');
    expect(logout.headers.getSetCookie().some((c) => c.startsWith('tf_sess_main=;'))).toBe(true);
    expect((await b.request(APP)).status).toBe(303);
  });

  it('comes back from the provider to the logged-out page, and the next visit needs a real login', async () => {
    const b = stack.browser();
    await b.login(APP, 'alice');
    const logout = await b.request(`${PORTAL}/logout?everywhere=1`, { method: 'POST' });

    const confirm = await b.request(logout.headers.get('location') ?? '');
    const hops = await confirmAtIdp(b, confirm);

    const back = new URL(hops[0]?.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe(LOGGED_OUT);
    expect(back.searchParams.get('state')).toBe('pocketid~1');
    expect(hops.at(-1)?.body).toContain('Signed out on all devices (1 session). You are signed out of Pocket ID too.');
    expect(await needsIdpLogin(stack, b)).toBe(true);
  });

  it('never logs the ID token', async () => {
    const b = stack.browser();
    await b.login(APP, 'carol');
    const logout = await b.request(`${PORTAL}/logout`, { method: 'POST' });
    const hint = new URL(logout.headers.get('location') ?? '').searchParams.get('id_token_hint') ?? '';

    expect(hint.length).toBeGreaterThan(100);
    expect(stack.logs.join('\n')).not.toContain(hint.split('.')[2]);
  });
});
