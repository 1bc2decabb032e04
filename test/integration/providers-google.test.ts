import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Standalone } from '../../bin/standalone.js';
import { GoogleProvider } from '../../shared/providers/google.js';
import type { OAuthProvider } from '../../shared/providers/provider.js';
import { ProviderError } from '../../shared/providers/provider.js';
import { SecretResolver } from '../../shared/secrets/resolver.js';
import { catchErrorAsync } from '../helpers/catch-error.js';
import { FakeGoogle } from '../helpers/fakes/google.js';
import { FakeAuthorizationServer, type RoutedNetwork, routeNetwork } from '../helpers/fakes/oauth-server.js';
import {
  loginAt,
  PROVIDER_KINDS,
  providerConfig,
  REDIRECT,
  startFake,
  startServerAgainst,
} from '../helpers/provider-contract.js';
import { Browser } from '../helpers/stack.js';

const CLIENT = PROVIDER_KINDS.google.client;
const USER = { sub: 'sub-1', name: 'Google User', email: 'user@example.com', email_verified: true, hd: 'example.com' };

const googleConfig = (over: Record<string, unknown> = {}) => providerConfig('google', over);

/** One login as the browser would run it, as {@link USER} unless a test names another. */
const login = (provider: OAuthProvider, fake: FakeGoogle, user: Record<string, unknown> = USER) =>
  loginAt(provider, fake, user);

describe('Google provider against a loopback Google (upstream google_test)', () => {
  const fake = new FakeGoogle();
  let net: RoutedNetwork;
  let provider: GoogleProvider;

  beforeAll(() => startFake(fake, 'google'));
  afterAll(() => fake.stop());
  afterEach(() => fake.reset());

  const newProvider = (over: Record<string, unknown> = {}) => {
    net = routeNetwork(fake.routes());
    provider = new GoogleProvider(googleConfig(over), { secrets: new SecretResolver(), fetch: net.fetch });
    return provider;
  };

  it('builds the authorize URL on accounts.google.com with the default scopes, PKCE and a nonce', async () => {
    // Prepare
    newProvider();

    // Act
    const url = await provider.authorizationUrl({
      redirectUri: REDIRECT,
      state: 'state-1',
      nonce: 'nonce-1',
      codeVerifier: 'v'.repeat(43),
    });

    // Assess
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: CLIENT.id,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid profile email',
      state: 'state-1',
      nonce: 'nonce-1',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
    expect(net.urls).toEqual([]);
  });

  it('exchanges the code at oauth2.googleapis.com and verifies the ID token against the v3 certs, keeping hd', async () => {
    // Prepare
    newProvider();

    // Act
    const profile = await login(provider, fake);

    // Assess
    expect(profile).toEqual({
      id: 'sub-1',
      name: { full: 'Google User' },
      email: { address: 'user@example.com', verified: true },
      additionalClaims: { hd: 'example.com' },
    });
    expect(net.urls).toEqual(['https://oauth2.googleapis.com/token', 'https://www.googleapis.com/oauth2/v3/certs']);
    const [token] = fake.tokenRequests;
    const form = FakeAuthorizationServer.form(token ?? { body: '' });
    expect(form.get('code')).toMatch(/^code-/);
    expect(form.get('client_id')).toBe(CLIENT.id);
    expect(form.get('client_secret')).toBe(CLIENT.secret);
    expect(form.get('redirect_uri')).toBe(REDIRECT);
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('code_verifier')).toMatch(/^[\w-]{43}$/);
    expect(token?.headers.authorization).toBeUndefined();
  });

  it('keeps configured additionalClaims beside hd', async () => {
    // Prepare
    newProvider({ additionalClaims: ['locale_region', 'org_unit'] });

    // Act
    const profile = await login(provider, fake, { ...USER, org_unit: 'ops', other: 'dropped' });

    // Assess
    expect(profile.additionalClaims).toEqual({ hd: 'example.com', org_unit: 'ops' });
  });

  it('leaves hd out for a consumer account, which has none', async () => {
    // Prepare
    newProvider();

    // Act
    const profile = await login(provider, fake, { sub: 'sub-2', email: 'someone@gmail.com', email_verified: true });

    // Assess
    expect(profile).toEqual({
      id: 'sub-2',
      name: { full: '' },
      email: { address: 'someone@gmail.com', verified: true },
    });
  });

  it('rejects an ID token from another issuer', async () => {
    // Prepare
    newProvider();
    fake.idTokenClaims = { iss: 'https://accounts.example.org' };

    // Act
    const err = await catchErrorAsync(() => login(provider, fake), ProviderError);

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/iss/);
  });

  it('rejects an ID token signed by a key Google does not publish', async () => {
    // Prepare
    newProvider();
    fake.idToken = await FakeAuthorizationServer.signWithStrangerKey({
      iss: 'https://accounts.google.com',
      aud: CLIENT.id,
      sub: 'sub-1',
    });

    // Act
    const err = await catchErrorAsync(() => login(provider, fake), ProviderError);

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
  });

  it('rejects an ID token whose nonce is not the login state nonce', async () => {
    // Prepare
    newProvider();
    fake.idTokenClaims = { nonce: 'someone-elses-nonce' };

    // Act
    const err = await catchErrorAsync(() => login(provider, fake), ProviderError);

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/nonce/);
  });

  it('rejects a token response without an ID token', async () => {
    // Prepare
    newProvider();
    fake.idToken = null;

    // Act
    const err = await catchErrorAsync(() => login(provider, fake), ProviderError);

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
    expect(net.urls).not.toContain('https://www.googleapis.com/oauth2/v1/userinfo');
  });

  it('rejects a login whose client secret Google does not accept', async () => {
    // Prepare
    newProvider({ clientSecret: 'wrong-secret' });

    // Act
    const err = await catchErrorAsync(() => login(provider, fake), ProviderError);

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/invalid_client/);
  });
});

describe('Google sign-in through the real server', () => {
  const fake = new FakeGoogle();
  let server: Standalone;

  beforeAll(async () => {
    server = await startServerAgainst(fake, 'google', {
      portal: {
        headers: [
          { name: 'X-Forwarded-User', claim: 'id' },
          { name: 'X-Workspace-Domain', claim: 'hd' },
        ],
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await fake.stop();
  });

  it('restores hd from the session for headers and conditions (upstream: hd restored from a session token)', async () => {
    // Prepare: app → sign-in → provider start, then the user consents at Google.
    const browser = new Browser({ server: server.url, idp: fake.url });
    const start = await browser.navigate('https://app.example.com/dashboard', 3);
    const authorize = start.at(-1)?.headers.get('location') ?? '';
    expect(authorize).toMatch(/^https:\/\/accounts\.google\.com\/o\/oauth2\/v2\/auth\?/);
    const back = await browser.navigate(fake.approve(authorize, USER).href);
    expect(back.at(-1)?.status).toBe(200);

    // Act: later checks carry conditions on hd (Traefik's `?if=`).
    browser.opts.forwardAuthPath = `/portals/main?if=${encodeURIComponent('Eq("hd","example.com")')}`;
    const allowed = await browser.request('https://app.example.com/dashboard');
    browser.opts.forwardAuthPath = `/portals/main?if=${encodeURIComponent('Eq("hd","example.org")')}`;
    const denied = await browser.request('https://app.example.com/dashboard');

    // Assess
    expect(allowed.status).toBe(200);
    expect(allowed.app?.identity).toMatchObject({ 'x-forwarded-user': 'sub-1', 'x-workspace-domain': 'example.com' });
    expect(denied.status).toBe(403);
  });
});
