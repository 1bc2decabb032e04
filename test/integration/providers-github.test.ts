import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Standalone } from '../../bin/standalone.js';
import { GitHubProvider } from '../../shared/providers/github.js';
import { ProviderError } from '../../shared/providers/provider.js';
import { SecretResolver } from '../../shared/secrets/resolver.js';
import { catchErrorAsync } from '../helpers/catch-error.js';
import { FakeGitHub } from '../helpers/fakes/github.js';
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

const CLIENT = PROVIDER_KINDS.github.client;

const githubConfig = (over: Record<string, unknown> = {}) => providerConfig('github', over);

describe('GitHub provider against a loopback GitHub (upstream github_test)', () => {
  const fake = new FakeGitHub();
  let net: RoutedNetwork;
  let dir = '';

  beforeAll(async () => {
    await startFake(fake, 'github');
    dir = mkdtempSync(join(tmpdir(), 'tfa-github-'));
  });
  afterAll(async () => {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => fake.reset());

  const newProvider = (config = githubConfig()) => {
    net = routeNetwork(fake.routes());
    return new GitHubProvider(config, { secrets: new SecretResolver(), fetch: net.fetch });
  };

  /** One login as the browser would run it. */
  const login = (provider: GitHubProvider) => loginAt(provider, fake);

  it('builds the authorize URL on github.com with scope user, the state and PKCE, and no nonce', async () => {
    // Prepare
    const provider = newProvider();

    // Act
    const url = await provider.authorizationUrl({
      redirectUri: REDIRECT,
      state: 'st',
      nonce: 'n-1',
      codeVerifier: 'v'.repeat(43),
    });

    // Assess
    expect(`${url.origin}${url.pathname}`).toBe('https://github.com/login/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: CLIENT.id,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'user',
      state: 'st',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
  });

  it('posts the code form to the token endpoint and reads the profile from GraphQL with a token header', async () => {
    // Prepare
    const provider = newProvider();

    // Act
    const profile = await login(provider);

    // Assess
    expect(profile).toEqual({
      id: 'octocat',
      name: { full: 'The Octocat', nickname: 'octocat' },
      picture: 'https://avatars.githubusercontent.com/u/583231',
      additionalClaims: { github_userid: '123' },
    });
    expect(net.urls).toEqual(['https://github.com/login/oauth/access_token', 'https://api.github.com/graphql']);
    const [token] = fake.tokenRequests;
    expect(token?.headers.accept).toContain('application/json');
    const form = FakeAuthorizationServer.form(token ?? { body: '' });
    expect(form.get('code')).toMatch(/^code-/);
    expect(form.get('client_id')).toBe(CLIENT.id);
    expect(form.get('client_secret')).toBe(CLIENT.secret);
    expect(form.get('redirect_uri')).toBe(REDIRECT);
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('code_verifier')).toMatch(/^[\w-]{43}$/);
    const graphql = fake.requests.find((r) => r.path === '/graphql');
    expect(graphql?.headers.authorization).toMatch(/^token gho_\w+$/);
    expect(graphql?.headers['user-agent']).toBe('tfa/1');
    expect(JSON.parse(graphql?.body ?? '{}')).toEqual({ query: 'query { viewer { id login avatarUrl name } }' });
  });

  it('accepts a token response that grants several scopes ("user read:org")', async () => {
    // Prepare
    const provider = newProvider();
    fake.grantedScope = 'user read:org';

    // Act
    const profile = await login(provider);

    // Assess
    expect(profile.id).toBe('octocat');
  });

  it('uses the login as full name when the account has no name', async () => {
    // Prepare
    const provider = newProvider();
    fake.viewer = { ...fake.viewer, name: null, avatarUrl: '' };

    // Act
    const profile = await login(provider);

    // Assess
    expect(profile).toEqual({
      id: 'octocat',
      name: { full: 'octocat', nickname: 'octocat' },
      additionalClaims: { github_userid: '123' },
    });
  });

  it('honours clientSecretFile (upstream never reads it for GitHub)', async () => {
    // Prepare
    const path = join(dir, 'github-secret');
    writeFileSync(path, `${CLIENT.secret}\n`);
    const provider = newProvider(githubConfig({ clientSecret: undefined, clientSecretFile: path }));

    // Act
    const profile = await login(provider);

    // Assess
    expect(profile.id).toBe('octocat');
    expect(FakeAuthorizationServer.form(fake.tokenRequests[0] ?? { body: '' }).get('client_secret')).toBe(
      CLIENT.secret,
    );
  });

  it("rejects GitHub's 200 error answer to a bad code, naming the error", async () => {
    // Prepare
    const provider = newProvider();
    const state = 'github~c~bad';
    const callbackUrl = new URL(`${REDIRECT}?code=not-issued&state=${state}`);

    // Act
    const err = await catchErrorAsync(
      () => provider.exchange({ callbackUrl, expectedState: state, nonce: 'unused', codeVerifier: 'v'.repeat(43) }),
      ProviderError,
    );

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toContain('invalid_grant');
    expect(net.urls).not.toContain('https://api.github.com/graphql');
  });

  it('rejects a callback whose state is not the expected one', async () => {
    // Prepare
    const provider = newProvider();
    const callbackUrl = fake.approve(
      await provider.authorizationUrl({ redirectUri: REDIRECT, state: 'github~c~other', nonce: 'unused' }),
    );

    // Act
    const err = await catchErrorAsync(
      () => provider.exchange({ callbackUrl, expectedState: 'github~c~mine', nonce: 'unused' }),
      ProviderError,
    );

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
    expect(fake.tokenRequests).toEqual([]);
  });

  it('rejects a GraphQL answer without a viewer', async () => {
    // Prepare
    const provider = newProvider();
    fake.viewer = { ...fake.viewer, login: '' };

    // Act
    const err = await catchErrorAsync(() => login(provider), ProviderError);

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toContain('lacks viewer id or login');
  });
});

describe('a custom-named GitHub provider through the real server', () => {
  const fake = new FakeGitHub();
  let server: Standalone;

  beforeAll(async () => {
    server = await startServerAgainst(fake, 'github', {
      provider: { name: 'corp-github', displayName: 'Corp GitHub' },
    });
  });
  afterAll(async () => {
    await server?.close();
    await fake.stop();
  });

  it('keeps the session working through later forward-auth checks (upstream stored the type, not the name)', async () => {
    // Prepare: app → sign-in → provider start; the user authorizes the app at GitHub.
    const browser = new Browser({ server: server.url, idp: fake.url });
    const start = await browser.navigate('https://app.example.com/repo?tab=code', 3);
    const authorize = start.at(-1)?.headers.get('location') ?? '';
    expect(start.at(-1)?.url).toMatch(/^https:\/\/auth\.example\.com\/portals\/main\/providers\/corp-github\?/);
    expect(authorize).toMatch(/^https:\/\/github\.com\/login\/oauth\/authorize\?/);
    expect(new URL(authorize).searchParams.get('state')).toMatch(/^corp-github~/);
    const back = await browser.navigate(fake.approve(authorize).href);

    // Act: the next request to the app is checked with the session cookie only.
    const later = await browser.request('https://app.example.com/settings');

    // Assess
    expect(back.at(-1)?.status).toBe(200);
    expect(later.status).toBe(200);
    expect(later.app?.identity['x-forwarded-user']).toBe('octocat');
    expect(JSON.parse(later.app?.identity['x-authenticated-user'] ?? '{}')).toEqual({
      provider: 'corp-github',
      portal: 'main',
      user: 'octocat',
    });
  });
});
