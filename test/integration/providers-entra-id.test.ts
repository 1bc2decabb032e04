import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Standalone } from '../../bin/standalone.js';
import { assertionAudience } from '../../shared/assertions/audience.js';
import type { MicrosoftEntraIDConfig } from '../../shared/config/types.js';
import { MicrosoftEntraIDProvider } from '../../shared/providers/microsoft-entra-id.js';
import { ProviderError } from '../../shared/providers/provider.js';
import { SecretResolver } from '../../shared/secrets/resolver.js';
import { catchErrorAsync } from '../helpers/catch-error.js';
import { CONSUMERS_TENANT, FakeEntraLogin } from '../helpers/fakes/entra-login.js';
import { FakeAuthorizationServer, type RoutedNetwork, routeNetwork } from '../helpers/fakes/oauth-server.js';
import {
  ENTRA_TENANT,
  loginAt,
  PROVIDER_KINDS,
  providerConfig,
  REDIRECT,
  startFake,
  startServerAgainst,
} from '../helpers/provider-contract.js';
import { Browser } from '../helpers/stack.js';

const CLIENT = PROVIDER_KINDS.microsoftEntraID.client;
const LOGIN = 'https://login.microsoftonline.com';
const TENANT_A = ENTRA_TENANT;
const TENANT_B = '66666666-7777-8888-9999-000000000000';

/**
 * An Entra provider config. Upstream's test uses the tenant `tenant-1`, which the config rightly refuses (ID tokens
 * name tenants by GUID), so that case builds the config object directly from a validated one.
 */
function entraConfig(tenantID: string, over: Record<string, unknown> = {}): MicrosoftEntraIDConfig {
  return { ...providerConfig('microsoftEntraID', over), tenantID };
}

describe('Microsoft Entra ID provider against a loopback Entra ID (upstream microsoft_entra_id_test)', () => {
  const fake = new FakeEntraLogin();
  let net: RoutedNetwork;

  beforeAll(() => startFake(fake, 'microsoftEntraID'));
  afterAll(() => fake.stop());
  afterEach(() => fake.reset());

  const newProvider = (tenantID: string, over: Record<string, unknown> = {}, assertion?: () => Promise<string>) => {
    net = routeNetwork(fake.routes());
    return new MicrosoftEntraIDProvider(entraConfig(tenantID, over), {
      secrets: new SecretResolver(),
      fetch: net.fetch,
      assertion,
    });
  };

  /** One login as the browser would run it, as `user`. */
  const login = (provider: MicrosoftEntraIDProvider, user: Record<string, unknown>) => loginAt(provider, fake, user);

  /** The ProviderError a login ends with. */
  const rejection = (promise: Promise<unknown>) => catchErrorAsync(() => promise, ProviderError);

  it("builds the authorize URL on the tenant's v2.0 endpoint with the default scopes, PKCE and a nonce", async () => {
    // Prepare
    const provider = newProvider('tenant-1');

    // Act
    const url = await provider.authorizationUrl({
      redirectUri: REDIRECT,
      state: 'st',
      nonce: 'n-1',
      codeVerifier: 'v'.repeat(43),
    });

    // Assess
    expect(`${url.origin}${url.pathname}`).toBe(`${LOGIN}/tenant-1/oauth2/v2.0/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: CLIENT.id,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid profile email',
      state: 'st',
      nonce: 'n-1',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
    expect(net.urls).toEqual([]);
  });

  it("exchanges the code at the tenant's token endpoint and maps oid, tid and wids from the verified ID token", async () => {
    // Prepare
    const provider = newProvider('tenant-1');

    // Act
    const profile = await login(provider, {
      sub: 'subject-1',
      oid: 'oid-1',
      tid: 'tenant-1',
      wids: ['role-a', 'role-b'],
      name: 'Entra User',
      preferred_username: 'user@contoso.example',
    });

    // Assess
    expect(profile).toEqual({
      id: 'oid-1',
      name: { full: 'Entra User', preferredUsername: 'user@contoso.example' },
      additionalClaims: { tid: 'tenant-1', wids: ['role-a', 'role-b'] },
    });
    expect(net.urls).toEqual([`${LOGIN}/tenant-1/oauth2/v2.0/token`, `${LOGIN}/tenant-1/discovery/v2.0/keys`]);
    const form = FakeAuthorizationServer.form(fake.tokenRequests[0] ?? { body: '' });
    expect(form.get('code')).toMatch(/^code-/);
    expect(form.get('client_id')).toBe(CLIENT.id);
    expect(form.get('client_secret')).toBe(CLIENT.secret);
    expect(form.get('code_verifier')).toMatch(/^[\w-]{43}$/);
  });

  it('falls back to sub for the ID when oid is absent, and keeps configured additionalClaims', async () => {
    // Prepare
    const provider = newProvider(TENANT_A, { additionalClaims: ['ipaddr', 'missing'] });

    // Act
    const profile = await login(provider, { sub: 'subject-2', ipaddr: '203.0.113.9', wids: [] });

    // Assess
    expect(profile).toEqual({
      id: 'subject-2',
      name: { full: '' },
      additionalClaims: { ipaddr: '203.0.113.9', tid: TENANT_A },
    });
  });

  it('sends the client assertion instead of a secret', async () => {
    // Prepare
    fake.acceptedAssertions.add('federated-jwt');
    const provider = newProvider(TENANT_A, { clientSecret: undefined, clientAssertion: 'AzureWorkloadIdentity' }, () =>
      Promise.resolve('federated-jwt'),
    );

    // Act
    const profile = await login(provider, { oid: 'oid-3', sub: 's3' });

    // Assess
    expect(profile.id).toBe('oid-3');
    const form = FakeAuthorizationServer.form(fake.tokenRequests[0] ?? { body: '' });
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(form.get('client_assertion')).toBe('federated-jwt');
    expect(form.has('client_secret')).toBe(false);
    expect(assertionAudience(entraConfig(TENANT_A))).toBe('api://AzureADTokenExchange');
  });

  it('rejects an ID token whose issuer names another tenant (single tenant)', async () => {
    // Prepare
    const provider = newProvider(TENANT_A);
    fake.idTokenClaims = { iss: `${LOGIN}/${TENANT_B}/v2.0`, tid: TENANT_B };

    // Act
    const err = await rejection(login(provider, { oid: 'oid-4' }));

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/iss/);
  });

  it("rejects an ID token whose tid is not the tenant of its issuer (the provider's own check)", async () => {
    // Prepare: the issuer is the configured tenant's, so only the tid rule can catch it.
    const provider = newProvider(TENANT_A);
    fake.idTokenClaims = { iss: `${LOGIN}/${TENANT_A}/v2.0`, tid: TENANT_B };

    // Act
    const err = await rejection(login(provider, { oid: 'oid-7' }));

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toContain(`is not the issuer of its tenant "${TENANT_B}"`);
  });

  it('rejects an ID token signed by a key not in the tenant JWKS', async () => {
    // Prepare
    const provider = newProvider(TENANT_A);
    fake.idTokenClaims = {};
    const forged = await FakeAuthorizationServer.signWithStrangerKey({
      iss: `${LOGIN}/${TENANT_A}/v2.0`,
      aud: CLIENT.id,
      tid: TENANT_A,
      oid: 'oid-5',
    });
    fake.inject({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token_type: 'Bearer', access_token: 'at', expires_in: 3599, id_token: forged }),
    });

    // Act
    const err = await rejection(login(provider, { oid: 'oid-5' }));

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
  });

  it('rejects a token response without an ID token instead of reading Graph userinfo', async () => {
    // Prepare
    const provider = newProvider(TENANT_A);
    fake.sendIdToken = false;

    // Act
    const err = await rejection(login(provider, { oid: 'oid-6' }));

    // Assess
    expect(err).toBeInstanceOf(ProviderError);
    expect(net.urls).not.toContain('https://graph.microsoft.com/oidc/userinfo');
  });

  describe('multi-tenant authorities (beyond upstream)', () => {
    it.each(['common', 'organizations'])(
      "'%s' accepts a token whose issuer is the tenant named by its own tid",
      async (authority) => {
        // Prepare
        const provider = newProvider(authority);

        // Act
        const profile = await login(provider, { tid: TENANT_B, oid: 'oid-b', name: 'Guest of B' });

        // Assess
        expect(profile).toEqual({
          id: 'oid-b',
          name: { full: 'Guest of B' },
          additionalClaims: { tid: TENANT_B },
        });
        expect(net.urls).toEqual([
          `${LOGIN}/${authority}/v2.0/.well-known/openid-configuration`,
          `${LOGIN}/${authority}/oauth2/v2.0/token`,
          `${LOGIN}/${authority}/discovery/v2.0/keys`,
        ]);
      },
    );

    it("sends 'common' users to the common authority's endpoints", async () => {
      // Prepare
      const provider = newProvider('common');

      // Act
      const url = await provider.authorizationUrl({ redirectUri: REDIRECT, state: 's', nonce: 'n' });

      // Assess
      expect(`${url.origin}${url.pathname}`).toBe(`${LOGIN}/common/oauth2/v2.0/authorize`);
    });

    it("rejects a token on 'common' whose issuer names a different tenant than its tid", async () => {
      // Prepare
      const provider = newProvider('common');
      fake.idTokenClaims = { iss: `${LOGIN}/${TENANT_A}/v2.0` };

      // Act
      const err = await rejection(login(provider, { tid: TENANT_B, oid: 'oid-b' }));

      // Assess
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.message).toMatch(/iss/);
    });

    it("rejects a token on 'common' without a tid", async () => {
      // Prepare
      const provider = newProvider('common');
      fake.idTokenClaims = { iss: `${LOGIN}/${TENANT_B}/v2.0`, tid: undefined };

      // Act
      const err = await rejection(login(provider, { oid: 'oid-b' }));

      // Assess
      expect(err).toBeInstanceOf(ProviderError);
    });

    it("accepts a personal account on 'consumers' and rejects a work account there", async () => {
      // Prepare
      const provider = newProvider('consumers');

      // Act
      const personal = await login(provider, { tid: CONSUMERS_TENANT, oid: 'oid-msa' });
      const work = await rejection(login(provider, { tid: TENANT_A, oid: 'oid-work' }));

      // Assess
      expect(personal.id).toBe('oid-msa');
      expect(work).toBeInstanceOf(ProviderError);
    });
  });
});

describe('Entra ID sign-in on the common authority through the real server', () => {
  const fake = new FakeEntraLogin();
  let server: Standalone;

  beforeAll(async () => {
    server = await startServerAgainst(fake, 'microsoftEntraID', { provider: { tenantID: 'common' } });
  });
  afterAll(async () => {
    await server?.close();
    await fake.stop();
  });

  it('restores oid, tid and wids from the session, so conditions can pick the tenant', async () => {
    // Prepare: a user of tenant B signs in through the common authority.
    const browser = new Browser({ server: server.url, idp: fake.url });
    const start = await browser.navigate('https://app.example.com/', 3);
    const authorize = start.at(-1)?.headers.get('location') ?? '';
    expect(authorize).toMatch(/^https:\/\/login\.microsoftonline\.com\/common\/oauth2\/v2\.0\/authorize\?/);
    const user = { tid: TENANT_B, oid: 'oid-b', wids: ['62e90394-69f5-4237-9190-012177145e10'] };
    const back = await browser.navigate(fake.approve(authorize, user).href);
    expect(back.at(-1)?.status).toBe(200);

    // Act: later checks carry conditions (Traefik's `?if=`).
    const check = (condition: string) => {
      browser.opts.forwardAuthPath = `/portals/main?if=${encodeURIComponent(condition)}`;
      return browser.request('https://app.example.com/admin');
    };
    const tenantB = await check(`Eq("tid","${TENANT_B}") && Cont("wids","62e90394-69f5-4237-9190-012177145e10")`);
    const tenantA = await check(`Eq("tid","${TENANT_A}")`);

    // Assess
    expect(tenantB.status).toBe(200);
    expect(tenantB.app?.identity['x-forwarded-user']).toBe('oid-b');
    expect(tenantA.status).toBe(403);
  });
});
