/**
 * The callback's statuses when the code exchange fails (shared/routes/exchange-failure.ts), through the real server
 * against a loopback Google that answers, errs, stalls or is gone: the user sees a plain reason, the log the cause.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Standalone } from '../../bin/standalone.js';
import { freePort } from '../e2e/harness/processes.js';
import { FakeGoogle } from '../helpers/fakes/google.js';
import { jsonReply } from '../helpers/fakes/http-fake.js';
import { startServerAgainst } from '../helpers/provider-contract.js';
import { Browser, startQuietServer } from '../helpers/stack.js';

const USER = { sub: 'sub-1', name: 'Google User', email: 'user@example.com', email_verified: true };
const APP = 'https://app.example.com/dashboard';

describe('the callback when the provider refuses or fails the code exchange', () => {
  const fake = new FakeGoogle();
  let server: Standalone;

  beforeAll(async () => {
    // The shortest timeout the config accepts, so the stalled-provider case stays short.
    server = await startServerAgainst(fake, 'google', { provider: { requestTimeout: '1s' } });
  });
  afterAll(async () => {
    await server?.close();
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  /** App → sign-in → provider start → consent at Google, then the browser follows the callback. */
  async function callback() {
    const browser = new Browser({ server: server.url, idp: fake.url });
    const start = await browser.navigate(APP, 3);
    const authorize = start.at(-1)?.headers.get('location') ?? '';
    const hops = await browser.navigate(fake.approve(authorize, USER).href);
    return { hop: hops[0], hops };
  }

  it('logs in when the provider accepts the code (the baseline of this file)', async () => {
    // Act
    const { hop, hops } = await callback();

    // Assess
    expect(hop?.status).toBe(307);
    expect(hops.at(-1)?.status).toBe(200);
  });

  it('rejects an expired or already used code (invalid_grant) with 401 and asks to sign in again', async () => {
    // Prepare
    fake.inject(jsonReply(400, { error: 'invalid_grant', error_description: 'Bad Request' }));

    // Act
    const { hop, hops } = await callback();

    // Assess
    expect(hop?.status).toBe(401);
    expect(hop?.body).toBe('Error: Sign-in link expired or already used: please sign in again');
    expect(hops).toHaveLength(1);
  });

  it('rejects a refused client (invalid_client) with 424, naming the client credentials', async () => {
    // Prepare
    fake.inject(jsonReply(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }));

    // Act
    const { hop } = await callback();

    // Assess
    expect(hop?.status).toBe(424);
    expect(hop?.body).toBe('Error: The identity provider rejected the client credentials of this auth server');
  });

  it('rejects any other OAuth error of the token endpoint with 424', async () => {
    // Prepare
    fake.inject(jsonReply(400, { error: 'invalid_request', error_description: 'Missing parameter' }));

    // Act
    const { hop } = await callback();

    // Assess
    expect(hop?.status).toBe(424);
    expect(hop?.body).toBe('Error: The auth server returned an error');
  });

  it('answers 502 when the token endpoint fails with a server error, without showing it', async () => {
    // Prepare
    fake.inject({ status: 503, headers: { 'content-type': 'text/html' }, body: '<h1>backend down: secret-ish</h1>' });

    // Act
    const { hop } = await callback();

    // Assess
    expect(hop?.status).toBe(502);
    expect(hop?.body).toBe('Error: The identity provider could not be reached');
  });

  it('answers 502 when the token endpoint does not answer within requestTimeout', async () => {
    // Prepare: the consent is given, then the provider stalls past the 1 s timeout.
    const browser = new Browser({ server: server.url, idp: fake.url });
    const start = await browser.navigate(APP, 3);
    const back = fake.approve(start.at(-1)?.headers.get('location') ?? '', USER);
    fake.delayMs = 1500;

    // Act
    const hops = await browser.navigate(back.href);

    // Assess
    expect(hops[0]?.status).toBe(502);
    expect(hops[0]?.body).toBe('Error: The identity provider could not be reached');
  });

  /** App → consent, then the callback as a browser navigation (Accept: text/html): the error page. */
  async function callbackPage(back?: (authorize: URL) => string) {
    const browser = new Browser({ server: server.url, idp: fake.url });
    const start = await browser.navigate(APP, 3);
    const authorize = new URL(start.at(-1)?.headers.get('location') ?? '');
    const url = back ? back(authorize) : fake.approve(authorize.href, USER).href;
    return browser.request(url, { headers: { Accept: 'text/html,application/xhtml+xml' } });
  }

  /** The error page's heading, text, next-step link and small print, tags removed. */
  function pageParts(body: string) {
    const text = (re: RegExp) => (re.exec(body)?.[1] ?? '').replace(/<[^>]+>/g, '');
    return {
      title: text(/<h1>([\s\S]*?)<\/h1>/),
      action: /<p class="actions"><a [^>]*href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/
        .exec(body)
        ?.slice(1, 3)
        .map((v) => v.replace(/<[^>]+>/g, '')),
      small: text(/<p class="request-id">([\s\S]*?)<\/p>/),
    };
  }

  it('shows a browser whose sign-in was cancelled at the provider a page offering to try again from the app', async () => {
    // Act: the provider sends the user back with access_denied (they pressed Cancel)
    const hop = await callbackPage((authorize) => {
      const back = new URL(authorize.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('state', authorize.searchParams.get('state') ?? '');
      return back.href;
    });

    // Assess
    expect(hop.status).toBe(424);
    expect(hop.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(hop.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'nonce-[0-9a-f]{32}'/);
    expect(pageParts(hop.body)).toEqual({
      title: 'Sign-in was cancelled',
      action: [APP, 'Try again'],
      small: `Error 424: The auth server returned an errorRequest ID: ${hop.headers.get('x-request-id')}`,
    });
  });

  it.each([
    {
      name: 'an expired or used code (401), starting again from the app',
      reply: jsonReply(400, { error: 'invalid_grant', error_description: 'Bad Request' }),
      status: 401,
      page: { title: 'This sign-in link was already used or has expired', action: [APP, 'Start again'] },
    },
    {
      name: 'the provider that refused the client (424)',
      reply: jsonReply(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }),
      status: 424,
      page: { title: 'Google did not accept this sign-in service', action: [APP, 'Try again'] },
    },
    {
      name: 'the provider that could not be reached (502), without its answer',
      reply: { status: 503, headers: { 'content-type': 'text/html' }, body: '<h1>backend down: secret-ish</h1>' },
      status: 502,
      page: { title: 'Google could not be reached', action: [APP, 'Try again'] },
    },
  ])('shows a browser a page for $name', async ({ reply, status, page }) => {
    // Prepare
    fake.inject(reply);

    // Act
    const hop = await callbackPage();

    // Assess
    expect(hop.status).toBe(status);
    expect(pageParts(hop.body)).toMatchObject(page);
    expect(hop.body).not.toContain('secret-ish');
  });

  it('answers 502 when the provider is unreachable (runs last: it stops the fake)', async () => {
    // Prepare
    const browser = new Browser({ server: server.url, idp: fake.url });
    const start = await browser.navigate(APP, 3);
    const back = fake.approve(start.at(-1)?.headers.get('location') ?? '', USER);
    await fake.stop();

    // Act
    const hops = await browser.navigate(back.href);

    // Assess
    expect(hops[0]?.status).toBe(502);
    expect(hops[0]?.body).toBe('Error: The identity provider could not be reached');
  });
});

describe('the provider step when the provider cannot be reached', () => {
  let server: Standalone | undefined;
  afterAll(() => server?.close());

  it('answers 502 (not 500) with a page naming the provider, and text for other clients', async () => {
    // Prepare: an OpenID provider whose discovery document cannot be fetched (nothing listens on the port)
    const port = await freePort();
    const started = await startQuietServer({
      server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
      portals: [
        {
          name: 'main',
          providers: [
            {
              openIDConnect: {
                displayName: 'Lab ID',
                tokenIssuer: `http://127.0.0.1:${port}`,
                clientID: 'c',
                clientSecret: 's',
              },
            },
          ],
        },
      ],
    });
    server = started;
    const browser = new Browser({ server: started.url, idp: 'http://127.0.0.1:9' });
    const hops = await browser.navigate(APP, 2);
    const start = hops.at(-1)?.headers.get('location') ?? '';

    // Act
    const page = await browser.request(start, { headers: { Accept: 'text/html' } });
    const text = await browser.request(start);

    // Assess
    expect(start).toMatch(/^https:\/\/auth\.example\.com\/portals\/main\/providers\/openidconnect\?state=/);
    expect(page.status).toBe(502);
    expect(page.body).toContain('<h1>Lab ID could not be reached</h1>');
    expect(page.body).toContain(`href="${APP}"><span class="provider-button-inner">Try again</span>`);
    expect(text.status).toBe(502);
    expect(text.body).toBe('Error: The identity provider could not be reached');
  });
});
