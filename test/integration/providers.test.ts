import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/load.js';
import type { PocketIDConfig } from '../../shared/config/types.js';
import { OIDCProvider } from '../../shared/providers/oidc.js';
import { ProviderError } from '../../shared/providers/provider.js';
import { SecretResolver } from '../../shared/secrets/resolver.js';
import { catchErrorAsync } from '../helpers/catch-error.js';
import { basicConfig, type Stack, startStack, TEST_CLIENT } from '../helpers/stack.js';

/**
 * A loopback Pocket ID stand-in speaking the real wire protocol (form-encoded token POST, bearer userinfo, JWKS),
 * whose token response each test controls: for the paths oidc-provider cannot produce (no ID token, a wrong nonce).
 */
class FakePocketID {
  server?: Server;
  url = '';
  requests: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
  tokenResponse: (body: URLSearchParams) => Record<string, unknown> = () => ({
    access_token: 'at',
    expires_in: 60,
    token_type: 'Bearer',
  });
  userinfo: Record<string, unknown> = { sub: 'u1', name: 'Pocket User' };
  key?: Awaited<ReturnType<typeof generateKeyPair>>;

  async start() {
    this.key = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(this.key.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    this.server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const path = req.url ?? '';
      this.requests.push({ path, headers: req.headers, body });
      const json = (o: unknown) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(o));
      if (path === '/api/oidc/token') return json(this.tokenResponse(new URLSearchParams(body)));
      if (path === '/api/oidc/userinfo') return json(this.userinfo);
      if (path === '/.well-known/jwks.json') return json({ keys: [jwk] });
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  idToken(claims: Record<string, unknown>) {
    if (!this.key) throw new Error('not started');
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(this.url)
      .setAudience(TEST_CLIENT.clientId)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(this.key.privateKey);
  }

  stop() {
    return new Promise<void>((r) => this.server?.close(() => r()));
  }
}

function pocketProvider(endpoint: string): PocketIDConfig {
  const { config } = validateConfig(basicConfig(endpoint));
  const provider = config.portals[0]?.providers[0];
  if (provider?.type !== 'pocketID') throw new Error('no Pocket ID provider');
  return provider;
}

describe('Pocket ID provider against a protocol-level fake', () => {
  const fake = new FakePocketID();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  afterEach(() => {
    fake.requests = [];
  });

  const exchange = (provider: OIDCProvider, state = 'pocketid~c~s', nonce = 'n-1') =>
    provider.exchange({
      callbackUrl: new URL(`https://auth.example.com/portals/main/oauth2/callback?code=the-code&state=${state}`),
      expectedState: state,
      nonce,
      codeVerifier: 'v'.repeat(43),
    });

  it('builds the authorize URL on {endpoint}/authorize with the default scopes, PKCE and nonce', async () => {
    const provider = new OIDCProvider(pocketProvider(`${fake.url}/`), { secrets: new SecretResolver() });

    const url = await provider.authorizationUrl({
      redirectUri: 'https://auth.example.com/cb',
      state: 's',
      nonce: 'n',
      codeVerifier: 'v'.repeat(43),
    });

    expect(`${url.origin}${url.pathname}`).toBe(`${fake.url}/authorize`);
    expect(url.searchParams.get('scope')).toBe('openid profile email groups');
    expect(url.searchParams.get('client_id')).toBe(TEST_CLIENT.clientId);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('nonce')).toBe('n');
  });

  it('falls back to userinfo when the token response has no ID token (upstream pocketid_test)', async () => {
    const provider = new OIDCProvider(pocketProvider(fake.url), { secrets: new SecretResolver() });

    const profile = await exchange(provider);

    expect(profile).toEqual({ id: 'u1', name: { full: 'Pocket User' } });
    const token = fake.requests.find((r) => r.path === '/api/oidc/token');
    const form = new URLSearchParams(token?.body);
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('code')).toBe('the-code');
    expect(form.get('client_id')).toBe(TEST_CLIENT.clientId);
    expect(form.get('client_secret')).toBe(TEST_CLIENT.clientSecret);
    expect(form.get('code_verifier')).toBe('v'.repeat(43));
    expect(form.get('redirect_uri')).toBe('https://auth.example.com/portals/main/oauth2/callback');
    expect(token?.headers.authorization).toBeUndefined();
    expect(fake.requests.find((r) => r.path === '/api/oidc/userinfo')?.headers.authorization).toBe('Bearer at');
  });

  it('maps a verified ID token and keeps configured additional claims only', async () => {
    fake.tokenResponse = () => ({ access_token: 'at', token_type: 'Bearer' });
    const idToken = await fake.idToken({
      sub: 'u2',
      nonce: 'n-2',
      name: 'Jane',
      groups: ['a', 'b'],
      department: 'ops',
      other: 'x',
    });
    fake.tokenResponse = () => ({ access_token: 'at', token_type: 'Bearer', id_token: idToken });
    const config = { ...pocketProvider(fake.url), additionalClaims: ['department'] };
    const provider = new OIDCProvider(config, { secrets: new SecretResolver() });

    const profile = await exchange(provider, 'pocketid~c~s2', 'n-2');

    expect(profile).toEqual({
      id: 'u2',
      name: { full: 'Jane' },
      groups: ['a', 'b'],
      additionalClaims: { department: 'ops' },
    });
  });

  it('rejects an ID token whose nonce does not match the login state', async () => {
    const idToken = await fake.idToken({ sub: 'u3', nonce: 'someone-elses-nonce' });
    fake.tokenResponse = () => ({ access_token: 'at', token_type: 'Bearer', id_token: idToken });
    const provider = new OIDCProvider(pocketProvider(fake.url), { secrets: new SecretResolver() });

    const err = await catchErrorAsync(() => exchange(provider, 'pocketid~c~s3', 'n-3'), ProviderError);

    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/nonce/i);
  });

  it('rejects an unsigned (alg none) ID token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ iss: fake.url, aud: TEST_CLIENT.clientId, sub: 'x', nonce: 'n', exp: 9e9, iat: 1 }),
    ).toString('base64url');
    fake.tokenResponse = () => ({ access_token: 'at', token_type: 'Bearer', id_token: `${header}.${payload}.` });
    const provider = new OIDCProvider(pocketProvider(fake.url), { secrets: new SecretResolver() });

    await expect(exchange(provider, 'pocketid~c~s4', 'n')).rejects.toBeInstanceOf(ProviderError);
  });
});

describe('generic OpenID Connect provider (discovery)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: (issuer) => ({
        server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
        portals: [
          {
            name: 'main',
            providers: [
              {
                openIDConnect: {
                  tokenIssuer: issuer,
                  clientID: TEST_CLIENT.clientId,
                  clientSecret: TEST_CLIENT.clientSecret,
                  displayName: 'Corp SSO',
                },
              },
            ],
          },
        ],
      }),
    });
  });
  afterAll(() => stack?.close());

  it('discovers the endpoints and completes a login', async () => {
    const hops = await stack.browser().login('https://app.example.com/');

    const authorize = new URL(hops[2]?.headers.get('location') ?? '');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${stack.idp.issuer}/authorize`);
    expect(authorize.searchParams.get('scope')).toBe('openid profile email');
    expect(hops.at(-1)?.status).toBe(200);
    expect(hops.at(-1)?.headers.get('x-forwarded-user')).toBe('alice');
  });
});
