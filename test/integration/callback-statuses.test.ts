/**
 * The callback's statuses when the code exchange fails (shared/routes/exchange-failure.ts), through the real server
 * against a loopback Google that answers, errs, stalls or is gone: the user sees a plain reason, the log the cause.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Standalone } from '../../bin/standalone.js';
import { FakeGoogle } from '../helpers/fakes/google.js';
import { jsonReply } from '../helpers/fakes/http-fake.js';
import { startServerAgainst } from '../helpers/provider-contract.js';
import { Browser } from '../helpers/stack.js';

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
