/**
 * What every OAuth provider kind promises the callback, run against each kind's loopback service
 * (test/helpers/provider-contract.ts): a login sends the client secret, the authorized redirect URI and the PKCE
 * verifier; a foreign state, a provider error in the callback, a replayed code and a refused client all end in a
 * ProviderError, the first two before any token request. The kind-specific behaviour stays in providers-*.test.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthProvider } from '../../shared/providers/provider.js';
import { ProviderError } from '../../shared/providers/provider.js';
import { SecretResolver } from '../../shared/secrets/resolver.js';
import { catchErrorAsync } from '../helpers/catch-error.js';
import { FakeAuthorizationServer, routeNetwork } from '../helpers/fakes/oauth-server.js';
import { type Kind, loginAt, PROVIDER_KINDS, REDIRECT, startFake } from '../helpers/provider-contract.js';

describe.each(Object.keys(PROVIDER_KINDS) as Kind[])('the %s provider contract', (type) => {
  const kind = PROVIDER_KINDS[type];
  const fake = kind.fake();

  beforeAll(() => startFake(fake, type));
  afterAll(() => fake.stop());
  afterEach(() => fake.reset());

  const newProvider = (over: Record<string, unknown> = {}) =>
    kind.create({ secrets: new SecretResolver(), fetch: routeNetwork(fake.routes()).fetch }, over);

  /** The authorize step of a login: its URL, and the values the callback will be checked against. */
  async function authorize(provider: OAuthProvider) {
    const state = `${provider.config.name}~c~${randomUUID()}`;
    const nonce = randomUUID();
    const codeVerifier = randomBytes(32).toString('base64url');
    const url = await provider.authorizationUrl({ redirectUri: REDIRECT, state, nonce, codeVerifier });
    return { url, state, nonce, codeVerifier };
  }

  it('completes a login with the client secret, the authorized redirect URI and the PKCE verifier', async () => {
    // Prepare
    const provider = newProvider();

    // Act
    const profile = await loginAt(provider, fake, kind.user);

    // Assess
    expect(profile.id).toBe(kind.userId);
    const [token] = fake.tokenRequests;
    const form = FakeAuthorizationServer.form(token ?? { body: '' });
    expect(form.get('client_id')).toBe(kind.client.id);
    expect(form.get('client_secret')).toBe(kind.client.secret);
    expect(form.get('redirect_uri')).toBe(REDIRECT);
    expect(form.get('code_verifier')).toMatch(/^[\w-]{43}$/);
  });

  it('sends an S256 PKCE challenge and the state in the authorize URL', async () => {
    // Prepare
    const provider = newProvider();

    // Act
    const { url, state } = await authorize(provider);

    // Assess
    expect(url.searchParams.get('client_id')).toBe(kind.client.id);
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('state')).toBe(state);
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('rejects a callback whose state is not the expected one, before any token request', async () => {
    // Prepare
    const provider = newProvider();
    const { url, nonce, codeVerifier } = await authorize(provider);
    const callbackUrl = fake.approve(url, kind.user);

    // Act
    const err = await catchErrorAsync(
      () => provider.exchange({ callbackUrl, expectedState: `${type}~c~another`, nonce, codeVerifier }),
      ProviderError,
    );

    // Assess
    expect(err.message).toContain(`provider '${provider.config.name}'`);
    expect(fake.tokenRequests).toEqual([]);
  });

  it('rejects a callback that carries an error instead of a code, before any token request', async () => {
    // Prepare: the user declined at the provider.
    const provider = newProvider();
    const { state, nonce, codeVerifier } = await authorize(provider);
    const callbackUrl = new URL(`${REDIRECT}?error=access_denied&state=${encodeURIComponent(state)}`);

    // Act
    const err = await catchErrorAsync(
      () => provider.exchange({ callbackUrl, expectedState: state, nonce, codeVerifier }),
      ProviderError,
    );

    // Assess
    expect(err.message).toContain('access_denied');
    expect(fake.tokenRequests).toEqual([]);
  });

  it('rejects a code used a second time (invalid_grant)', async () => {
    // Prepare: one complete login.
    const provider = newProvider();
    const { url, state, nonce, codeVerifier } = await authorize(provider);
    const callbackUrl = fake.approve(url, kind.user);
    await provider.exchange({ callbackUrl, expectedState: state, nonce, codeVerifier });

    // Act: the same callback URL again (a replayed or double-submitted callback).
    const err = await catchErrorAsync(
      () => provider.exchange({ callbackUrl, expectedState: state, nonce, codeVerifier }),
      ProviderError,
    );

    // Assess
    expect(err.message).toContain('invalid_grant');
    expect(fake.tokenRequests).toHaveLength(2);
  });

  it('rejects a client secret the provider does not accept (invalid_client)', async () => {
    // Prepare
    const provider = newProvider({ clientSecret: 'not-the-registered-secret' });

    // Act
    const err = await catchErrorAsync(() => loginAt(provider, fake, kind.user), ProviderError);

    // Assess
    expect(err.message).toContain('invalid_client');
  });
});
