import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicConfig, type Stack, startStack } from '../helpers/stack.js';

const APP = 'https://app.example.com/dashboard';

describe('the session token never reaches the apps (stripAuthCookies)', () => {
  let stack: Stack;
  let keepAll: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: (issuer) => basicConfig(issuer) });
    keepAll = await startStack({ config: (issuer) => basicConfig(issuer, { portal: { stripAuthCookies: false } }) });
  });
  afterAll(async () => {
    await stack?.close();
    await keepAll?.close();
  });

  it('answers a 200 with the Cookie header minus the session and state cookies, identity headers intact', async () => {
    // Prepare
    const b = stack.browser();
    await b.login(APP);
    await b.jar.setCookie('theme=dark; Domain=example.com; Path=/', APP);
    await b.jar.setCookie('tf_state_main_leftover=x; Domain=example.com; Path=/', APP);
    await b.jar.setCookie('app_session=s3cr%3Bet; Path=/', APP);

    // Act
    const hop = await b.request(APP);

    // Assess
    expect(hop.status).toBe(200);
    expect(hop.headers.get('x-forwarded-user')).toBe('alice');
    expect(hop.headers.get('cookie')).toBe('theme=dark; app_session=s3cr%3Bet');
  });

  it('answers no Cookie header when the browser sent only auth cookies (the proxy then removes the header)', async () => {
    // Prepare
    const b = stack.browser();
    await b.login(APP);

    // Act
    const hop = await b.request(APP);

    // Assess
    expect(hop.status).toBe(200);
    expect((await b.jar.getCookieString(APP)).startsWith('tf_sess_main=')).toBe(true);
    expect(hop.headers.has('cookie')).toBe(false);
  });

  it('answers no Cookie header at all with stripAuthCookies: false', async () => {
    // Prepare
    const b = keepAll.browser();
    await b.login(APP);
    await b.jar.setCookie('theme=dark; Domain=example.com; Path=/', APP);

    // Act
    const hop = await b.request(APP);

    // Assess
    expect(hop.status).toBe(200);
    expect(hop.headers.has('cookie')).toBe(false);
  });

  it('answers no Cookie header on a 303 to sign-in', async () => {
    // Prepare
    const b = stack.browser();
    await b.jar.setCookie('theme=dark; Domain=example.com; Path=/', APP);

    // Act
    const hop = await b.request(APP, { headers: { Accept: 'text/html' } });

    // Assess
    expect(hop.status).toBe(303);
    expect(hop.headers.has('cookie')).toBe(false);
  });
});
