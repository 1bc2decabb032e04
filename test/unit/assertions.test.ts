import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STSClient } from '@aws-sdk/client-sts';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkAzureWorkloadIdentityEnv } from '../../shared/assertions/azure-workload-identity.js';
import {
  type AssertionContext,
  AssertionError,
  type AssertionErrorCode,
  type AssertionSource,
  createAssertionSource,
} from '../../shared/assertions/source.js';
import {
  type AssertionSpec,
  DEFAULT_KUBERNETES_TOKEN_PATH,
  parseClientAssertion,
} from '../../shared/config/client-assertion.js';
import { catchErrorAsync } from '../helpers/catch-error.js';
import { FakeEntra } from '../helpers/fakes/entra.js';
import { jsonReply } from '../helpers/fakes/http-fake.js';
import { FakeImds } from '../helpers/fakes/imds.js';
import { FakeSts } from '../helpers/fakes/sts.js';
import { FakeTsiam } from '../helpers/fakes/tsiam.js';

const ENTRA_EXCHANGE = 'api://AzureADTokenExchange';
const FAKE_JWT = 'eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJl';

/** A controllable clock starting at a whole second. */
function testClock(start = Math.floor(Date.now() / 1000) * 1000) {
  const clock = { t: start, now: () => clock.t, advance: (ms: number) => (clock.t += ms) };
  return clock;
}

/** The AssertionError a promise (or a throwing function) ends with. */
function assertionFailure(run: () => Promise<unknown> | unknown): Promise<AssertionError> {
  return catchErrorAsync(run, AssertionError);
}

async function expectFailure(
  run: () => Promise<unknown> | unknown,
  code: AssertionErrorCode,
  message: RegExp,
): Promise<AssertionError> {
  const err = await assertionFailure(run);
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
  return err;
}

function getMany(source: AssertionSource, n: number): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, () => source.get()));
}

describe('parseClientAssertion', () => {
  it.each<[string, AssertionSpec]>([
    ['AzureManagedIdentity', { kind: 'azureManagedIdentity' }],
    ['azuremanagedidentity', { kind: 'azureManagedIdentity' }],
    ['AZUREMANAGEDIDENTITY', { kind: 'azureManagedIdentity' }],
    ['AzureManagedIdentity=', { kind: 'azureManagedIdentity' }],
    ['AzureManagedIdentity=Client-ID-AbC', { kind: 'azureManagedIdentity', clientId: 'Client-ID-AbC' }],
    ['azureManagedIdentity=0c8d1f4e-aaaa', { kind: 'azureManagedIdentity', clientId: '0c8d1f4e-aaaa' }],
    ['AzureWorkloadIdentity', { kind: 'azureWorkloadIdentity' }],
    ['azureworkloadidentity', { kind: 'azureWorkloadIdentity' }],
    ['KubernetesServiceAccountToken', { kind: 'kubernetes', path: DEFAULT_KUBERNETES_TOKEN_PATH }],
    ['kubernetesserviceaccounttoken', { kind: 'kubernetes', path: DEFAULT_KUBERNETES_TOKEN_PATH }],
    ['KubernetesServiceAccountToken=/Var/Run/Token', { kind: 'kubernetes', path: '/Var/Run/Token' }],
    ['tsiam=https://TsIam.example.com/Base/', { kind: 'tsiam', endpoint: 'https://TsIam.example.com/Base/' }],
    ['TSIAM=http://127.0.0.1:8080', { kind: 'tsiam', endpoint: 'http://127.0.0.1:8080' }],
    ['AwsWebIdentity', { kind: 'awsWebIdentity', signingAlgorithm: 'ES384' }],
    ['awswebidentity', { kind: 'awsWebIdentity', signingAlgorithm: 'ES384' }],
    [
      'AwsWebIdentity=https://Pocket.example.com',
      { kind: 'awsWebIdentity', audience: 'https://Pocket.example.com', signingAlgorithm: 'ES384' },
    ],
    ['AwsWebIdentity:RS256', { kind: 'awsWebIdentity', signingAlgorithm: 'RS256' }],
    ['awswebidentity:rs256', { kind: 'awsWebIdentity', signingAlgorithm: 'RS256' }],
    ['AwsWebIdentity:ES384=aud', { kind: 'awsWebIdentity', audience: 'aud', signingAlgorithm: 'ES384' }],
    ['AwsWebIdentity:RS256=a=b=c', { kind: 'awsWebIdentity', audience: 'a=b=c', signingAlgorithm: 'RS256' }],
  ])('parses %s', (value, spec) => {
    expect(parseClientAssertion(value)).toEqual({ spec });
  });

  it.each<[string, RegExp]>([
    ['', /expected one of/],
    ['foo', /expected one of/],
    ['Azure', /expected one of/],
    [' AzureManagedIdentity', /expected one of/],
    ['AzureManagedIdentity2', /expected one of/],
    ['AzureWorkloadIdentity=x', /takes no value/],
    ['KubernetesServiceAccountToken=', /token path is empty/],
    ['tsiam', /tsiam endpoint is empty/],
    ['tsiam=', /tsiam endpoint is empty/],
    ['tsiam=http://[::1', /failed to parse endpoint URL/],
    ['tsiam=tsiam.example.com', /failed to parse endpoint URL/],
    ['tsiam=ftp://tsiam.example.com', /failed to parse endpoint URL/],
    ['AwsWebIdentity=', /audience is empty/],
    ['AwsWebIdentity:', /unsupported signing algorithm ''/],
    ['AwsWebIdentity:HS256', /unsupported signing algorithm 'HS256'/],
    ['AwsWebIdentityX', /expected one of/],
  ])('rejects %j', (value, reason) => {
    const result = parseClientAssertion(value);

    expect(result).toEqual({ error: expect.stringMatching(reason) });
    expect(result).toEqual({ error: expect.stringContaining(`'${value}'`) });
  });
});

describe('tsiam source', () => {
  const fake = new FakeTsiam();
  const ctx = (over: Partial<AssertionContext> = {}): AssertionContext => ({
    audience: ENTRA_EXCHANGE,
    env: {},
    ...over,
  });
  const source = (over: Partial<AssertionContext> = {}) =>
    createAssertionSource({ kind: 'tsiam', endpoint: `${fake.url}/` }, ctx(over));

  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
  });

  it('throws when the audience is empty', async () => {
    await expectFailure(
      () => createAssertionSource({ kind: 'tsiam', endpoint: fake.url }, ctx({ audience: '' })),
      'ERR_ASSERTION_CONFIG',
      /audience is empty/,
    );
  });

  it('throws when the endpoint is invalid', async () => {
    await expectFailure(
      () => createAssertionSource({ kind: 'tsiam', endpoint: 'http://[::1' }, ctx()),
      'ERR_ASSERTION_CONFIG',
      /failed to parse endpoint URL/,
    );
  });

  it('POSTs to {endpoint}/token with the URL-encoded resource and X-Tsiam, and caches the token', async () => {
    const src = source();

    const token1 = await src.get();
    const token2 = await src.get();

    expect([token1, token2]).toEqual(['tsiam-token-1', 'tsiam-token-1']);
    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/token');
    expect(req?.target).toBe('/token?resource=api%3A%2F%2FAzureADTokenExchange');
    expect(req?.query.get('resource')).toBe(ENTRA_EXCHANGE);
    expect(req?.headers['x-tsiam']).toBe('1');
    expect(req?.body).toBe('');
  });

  it('tolerates several trailing slashes on the endpoint', async () => {
    await createAssertionSource({ kind: 'tsiam', endpoint: `${fake.url}//` }, ctx()).get();

    expect(fake.requests[0]?.path).toBe('/token');
  });

  it('sends the provider audience as resource', async () => {
    await source({ audience: 'https://pocket.example.com' }).get();

    expect(fake.requests[0]?.query.get('resource')).toBe('https://pocket.example.com');
  });

  it('rejects a non-OK response status', async () => {
    fake.inject(jsonReply(500, {}));

    await expectFailure(() => source().get(), 'ERR_ASSERTION_STATUS', /response status is not OK: 500/);
  });

  it('rejects an invalid JSON body', async () => {
    fake.inject({ status: 200, body: '{' });

    await expectFailure(() => source().get(), 'ERR_ASSERTION_RESPONSE', /error parsing response/);
  });

  it.each([['[]'], ['null'], ['"token"'], ['{"expires_in":"3600"}'], ['{"access_token":""}']])(
    'rejects a response without a usable access_token: %s',
    async (body) => {
      fake.inject({ status: 200, body });

      await expectFailure(() => source().get(), 'ERR_ASSERTION_RESPONSE', /error parsing response/);
    },
  );

  it('rejects an unreachable endpoint', async () => {
    const gone = new FakeTsiam();
    const url = await gone.start();
    await gone.stop();

    await expectFailure(
      () => createAssertionSource({ kind: 'tsiam', endpoint: url }, ctx()).get(),
      'ERR_ASSERTION_REQUEST',
      /error requesting token from tsiam/,
    );
  });

  it.each([
    ['short ttl', '30'],
    ['ttl of exactly the margin', '60'],
    ['invalid ttl', 'not-a-number'],
    ['fractional ttl', '3600.5'],
    ['missing ttl', undefined],
  ])('does not cache a token with a %s', async (_name, expiresIn) => {
    fake.inject(
      jsonReply(200, { access_token: 'token-1', expires_in: expiresIn }),
      jsonReply(200, { access_token: 'token-2', expires_in: expiresIn }),
    );
    const src = source();

    expect([await src.get(), await src.get()]).toEqual(['token-1', 'token-2']);
    expect(fake.requests).toHaveLength(2);
  });

  it('caches a numeric expires_in like a string one', async () => {
    fake.expiresIn = 3600;
    const src = source();

    expect([await src.get(), await src.get()]).toEqual(['tsiam-token-1', 'tsiam-token-1']);
    expect(fake.requests).toHaveLength(1);
  });

  it('refreshes exactly 60 s before expires_in elapses', async () => {
    const clock = testClock();
    const src = source({ now: clock.now });
    await src.get();

    clock.advance(3540_000 - 1);
    expect(await src.get()).toBe('tsiam-token-1');
    clock.advance(1);
    expect(await src.get()).toBe('tsiam-token-2');
    expect(fake.requests).toHaveLength(2);
  });

  it('coalesces 20 concurrent callers into one HTTP call', async () => {
    fake.delayMs = 200;
    const src = source();

    const tokens = await getMany(src, 20);

    expect(new Set(tokens)).toEqual(new Set(['tsiam-token-1']));
    expect(fake.requests).toHaveLength(1);
  });

  it('shares a failed refresh with concurrent callers without caching it', async () => {
    fake.delayMs = 100;
    fake.inject(jsonReply(503, {}));
    const src = source();

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => src.get()));

    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(fake.requests).toHaveLength(1);
    expect(await src.get()).toBe('tsiam-token-1');
  });

  it('keeps JWT-like text out of error messages', async () => {
    fake.inject(jsonReply(400, { error: 'invalid_request', error_description: `bad assertion ${FAKE_JWT}` }));

    const err = await expectFailure(() => source().get(), 'ERR_ASSERTION_STATUS', /invalid_request/);
    expect(err.message).not.toContain(FAKE_JWT);
    expect(err.message).toContain('[redacted]');
  });
});

describe('Kubernetes service account token source', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfa-k8s-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const source = (path: string) => createAssertionSource({ kind: 'kubernetes', path }, { audience: 'x', env: {} });

  it('throws when the token path is empty', async () => {
    await expectFailure(() => source(''), 'ERR_ASSERTION_CONFIG', /token path is empty/);
  });

  it('trims the file content', async () => {
    const path = join(dir, 'token');
    writeFileSync(path, 'token-abc123\n');

    expect(await source(path).get()).toBe('token-abc123');
  });

  it('re-reads the file on every call (the kubelet rotates it)', async () => {
    const path = join(dir, 'token');
    writeFileSync(path, 'first');
    const src = source(path);
    expect(await src.get()).toBe('first');

    writeFileSync(path, '  second  ');

    expect(await src.get()).toBe('second');
  });

  it('rejects a missing file', async () => {
    const err = await expectFailure(
      () => source(join(dir, 'missing')).get(),
      'ERR_ASSERTION_FILE',
      /failed to read Kubernetes service account token/,
    );
    expect(err.message).toContain('ENOENT');
  });

  it.each([[''], ['\n \t\n']])('rejects an empty file (%j)', async (content) => {
    const path = join(dir, 'token');
    writeFileSync(path, content);

    await expectFailure(() => source(path).get(), 'ERR_ASSERTION_FILE', /is empty/);
  });
});

describe('Azure managed identity source', () => {
  const fake = new FakeImds();
  const source = (clientId?: string, over: Partial<AssertionContext> = {}) =>
    createAssertionSource(
      clientId === undefined ? { kind: 'azureManagedIdentity' } : { kind: 'azureManagedIdentity', clientId },
      { audience: 'https://pocket.example.com', env: {}, imdsEndpoint: fake.url, ...over },
    );

  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
  });

  describe('through IMDS', () => {
    it('requests a system-assigned token for api://AzureADTokenExchange with Metadata: true', async () => {
      expect(await source().get()).toBe('mi-token-1');

      const [req] = fake.requests;
      expect(req?.method).toBe('GET');
      expect(req?.path).toBe('/metadata/identity/oauth2/token');
      expect(Object.fromEntries(req?.query ?? [])).toEqual({ 'api-version': '2018-02-01', resource: ENTRA_EXCHANGE });
      expect(req?.headers.metadata).toBe('true');
    });

    it('selects a user-assigned identity by client_id, keeping its case', async () => {
      await source('Client-AbC').get();

      expect(fake.requests[0]?.query.get('client_id')).toBe('Client-AbC');
    });

    it('rejects an unknown user-assigned identity with the service error', async () => {
      fake.knownClientIds = ['known'];

      await expectFailure(
        () => source('unknown').get(),
        'ERR_ASSERTION_STATUS',
        /status is not OK: 400.*Identity not found/,
      );
    });

    it('reuses the token until 5 minutes before it expires', async () => {
      const clock = testClock();
      const src = source(undefined, { now: clock.now });
      await src.get();

      clock.advance((86_399 - 300) * 1000 - 1);
      expect(await src.get()).toBe('mi-token-1');
      clock.advance(1);
      expect(await src.get()).toBe('mi-token-2');
    });

    it('reuses a short-lived token for half its life', async () => {
      fake.expiresInSeconds = 120;
      const clock = testClock();
      const src = source(undefined, { now: clock.now });
      await src.get();

      clock.advance(60_000 - 1);
      expect(await src.get()).toBe('mi-token-1');
      clock.advance(1);
      expect(await src.get()).toBe('mi-token-2');
    });

    it('accepts times as JSON numbers', async () => {
      fake.timesAs = 'number';
      const clock = testClock();
      const src = source(undefined, { now: clock.now });
      await src.get();

      clock.advance((86_399 - 300) * 1000 - 1);
      expect(await src.get()).toBe('mi-token-1');
      expect(fake.requests).toHaveLength(1);
    });

    it('does not cache a token without expiry information', async () => {
      fake.inject(jsonReply(200, { access_token: 'a' }), jsonReply(200, { access_token: 'b' }));
      const src = source();

      expect([await src.get(), await src.get()]).toEqual(['a', 'b']);
    });

    it('coalesces 20 concurrent callers into one request', async () => {
      fake.delayMs = 200;

      const tokens = await getMany(source(), 20);

      expect(new Set(tokens)).toEqual(new Set(['mi-token-1']));
      expect(fake.requests).toHaveLength(1);
    });

    it('rejects an invalid JSON body', async () => {
      fake.inject({ status: 200, body: 'not json' });

      await expectFailure(() => source().get(), 'ERR_ASSERTION_RESPONSE', /error parsing response/);
    });

    it('rejects a 5xx from IMDS', async () => {
      fake.inject(jsonReply(503, {}));

      await expectFailure(() => source().get(), 'ERR_ASSERTION_STATUS', /response status is not OK: 503/);
    });
  });

  describe('through the App Service identity endpoint', () => {
    const appServiceEnv = () => ({ IDENTITY_ENDPOINT: fake.identityEndpoint, IDENTITY_HEADER: fake.identityHeader });

    it('uses IDENTITY_ENDPOINT with X-IDENTITY-HEADER when both are set', async () => {
      expect(await source('Client-AbC', { env: appServiceEnv() }).get()).toBe('mi-token-1');

      const [req] = fake.requests;
      expect(req?.path).toBe('/msi/token');
      expect(Object.fromEntries(req?.query ?? [])).toEqual({
        'api-version': '2019-08-01',
        resource: ENTRA_EXCHANGE,
        client_id: 'Client-AbC',
      });
      expect(req?.headers['x-identity-header']).toBe(fake.identityHeader);
      expect(req?.headers.metadata).toBeUndefined();
    });

    it('caches by expires_on (the only expiry App Service sends)', async () => {
      const clock = testClock();
      fake.now = clock.now;
      fake.expiresInSeconds = 3600;
      const src = source(undefined, { env: appServiceEnv(), now: clock.now });
      await src.get();

      clock.advance(3300_000 - 1);
      expect(await src.get()).toBe('mi-token-1');
      clock.advance(1);
      expect(await src.get()).toBe('mi-token-2');
    });

    it('rejects a wrong IDENTITY_HEADER', async () => {
      const env = { ...appServiceEnv(), IDENTITY_HEADER: 'wrong' };

      await expectFailure(() => source(undefined, { env }).get(), 'ERR_ASSERTION_STATUS', /not OK: 401/);
    });

    it.each([
      ['IDENTITY_ENDPOINT without IDENTITY_HEADER (Azure Arc)', { IDENTITY_ENDPOINT: 'http://127.0.0.1:1/x' }],
      [
        'a Service Fabric thumbprint',
        { IDENTITY_ENDPOINT: 'https://127.0.0.1:1/x', IDENTITY_HEADER: 'h', IDENTITY_SERVER_THUMBPRINT: 'ab' },
      ],
      ['an IDENTITY_ENDPOINT that is not a URL', { IDENTITY_ENDPOINT: 'nope', IDENTITY_HEADER: 'h' }],
    ])('throws at creation for %s', async (_name, env) => {
      await expectFailure(() => source(undefined, { env }), 'ERR_ASSERTION_CONFIG', /IDENTITY_ENDPOINT/);
    });
  });
});

describe('Azure workload identity source', () => {
  const fake = new FakeEntra();
  let dir: string;
  let tokenFile: string;
  const env = () => ({
    AZURE_CLIENT_ID: fake.clientId,
    AZURE_TENANT_ID: fake.tenantId,
    AZURE_FEDERATED_TOKEN_FILE: tokenFile,
    AZURE_AUTHORITY_HOST: `${fake.url}/`,
  });
  const source = (over: Partial<AssertionContext> = {}) =>
    createAssertionSource({ kind: 'azureWorkloadIdentity' }, { audience: 'ignored', env: env(), ...over });

  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    dir = mkdtempSync(join(tmpdir(), 'tfa-wi-'));
    tokenFile = join(dir, 'azure-identity-token');
    writeFileSync(tokenFile, 'federated-token-1\n');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the missing environment variables', () => {
    expect(checkAzureWorkloadIdentityEnv({})).toEqual([
      'AZURE_CLIENT_ID',
      'AZURE_TENANT_ID',
      'AZURE_FEDERATED_TOKEN_FILE',
    ]);
    expect(checkAzureWorkloadIdentityEnv({ AZURE_CLIENT_ID: 'a', AZURE_TENANT_ID: '' })).toEqual([
      'AZURE_TENANT_ID',
      'AZURE_FEDERATED_TOKEN_FILE',
    ]);
    expect(checkAzureWorkloadIdentityEnv(env())).toEqual([]);
  });

  it('throws at creation when variables are missing, naming them', async () => {
    await expectFailure(
      () => source({ env: { AZURE_CLIENT_ID: 'a' } }),
      'ERR_ASSERTION_CONFIG',
      /missing environment variable\(s\): AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE/,
    );
  });

  it.each([
    ['a tenant that would change the URL path', { AZURE_TENANT_ID: '../evil' }, /invalid AZURE_TENANT_ID/],
    [
      'a plain-HTTP non-loopback authority',
      { AZURE_AUTHORITY_HOST: 'http://login.example.com/' },
      /must be an https URL/,
    ],
    ['an authority that is not a URL', { AZURE_AUTHORITY_HOST: 'login' }, /must be an https URL/],
  ])('throws at creation for %s', async (_name, override, message) => {
    await expectFailure(() => source({ env: { ...env(), ...override } }), 'ERR_ASSERTION_CONFIG', message);
  });

  it('defaults the authority to login.microsoftonline.com', () => {
    const { AZURE_AUTHORITY_HOST: _unused, ...rest } = env();

    expect(() => source({ env: rest })).not.toThrow();
  });

  it('exchanges the federated token at Entra with a client-credentials request', async () => {
    expect(await source().get()).toBe('entra-token-1');

    const [req] = fake.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/${fake.tenantId}/oauth2/v2.0/token`);
    expect(req?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(req && Object.fromEntries(FakeEntra.form(req))).toEqual({
      grant_type: 'client_credentials',
      client_id: fake.clientId,
      scope: 'api://AzureADTokenExchange/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'federated-token-1',
    });
  });

  it('reuses the Entra token until 5 minutes before expires_in', async () => {
    const clock = testClock();
    const src = source({ now: clock.now });
    await src.get();

    clock.advance((3599 - 300) * 1000 - 1);
    expect(await src.get()).toBe('entra-token-1');
    clock.advance(1);
    expect(await src.get()).toBe('entra-token-2');
  });

  it('re-reads the federated token file at most every 10 minutes', async () => {
    fake.expiresIn = 60; // reused for 30 s only, so every step below calls Entra
    const clock = testClock();
    const src = source({ now: clock.now });
    await src.get();
    writeFileSync(tokenFile, 'federated-token-2');

    clock.advance(60_000);
    await src.get();
    clock.advance(10 * 60_000 - 60_000);
    await src.get();

    const assertions = fake.requests.map((r) => FakeEntra.form(r).get('client_assertion'));
    expect(assertions).toEqual(['federated-token-1', 'federated-token-1', 'federated-token-2']);
  });

  it('coalesces 20 concurrent callers into one request', async () => {
    fake.delayMs = 200;

    const tokens = await getMany(source(), 20);

    expect(new Set(tokens)).toEqual(new Set(['entra-token-1']));
    expect(fake.requests).toHaveLength(1);
  });

  it('rejects a missing federated token file', async () => {
    rmSync(tokenFile);

    await expectFailure(() => source().get(), 'ERR_ASSERTION_FILE', /failed to read federated token file/);
    expect(fake.requests).toHaveLength(0);
  });

  it('rejects an empty federated token file', async () => {
    writeFileSync(tokenFile, '\n');

    await expectFailure(() => source().get(), 'ERR_ASSERTION_FILE', /is empty/);
  });

  it('rejects an assertion Entra does not accept, without echoing it', async () => {
    fake.acceptedAssertions = ['something-else'];

    const err = await expectFailure(
      () => source().get(),
      'ERR_ASSERTION_STATUS',
      /not OK: 401 \(invalid_client: AADSTS700213/,
    );
    expect(err.message).not.toContain('federated-token-1');
  });

  it('rejects an invalid JSON body', async () => {
    fake.inject({ status: 200, body: '<html>' });

    await expectFailure(() => source().get(), 'ERR_ASSERTION_RESPONSE', /error parsing response/);
  });
});

describe('AWS web identity source', () => {
  const fake = new FakeSts();
  let sts: STSClient;
  const source = (
    spec: Partial<Extract<AssertionSpec, { kind: 'awsWebIdentity' }>> = {},
    over: Partial<AssertionContext> = {},
  ) =>
    createAssertionSource(
      { kind: 'awsWebIdentity', signingAlgorithm: 'ES384', ...spec },
      { audience: 'https://pocket.example.com', env: {}, stsClient: sts, ...over },
    );

  beforeAll(async () => {
    await fake.start();
    // Credentials and region come from vitest.config.ts env; one attempt so injected failures surface at once.
    sts = new STSClient({ endpoint: fake.url, maxAttempts: 1 });
  });
  afterAll(async () => {
    sts.destroy();
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
  });

  it('calls GetWebIdentityToken over the query protocol with Audience, SigningAlgorithm and DurationSeconds', async () => {
    await source().get();

    const [req] = fake.tokenRequests;
    expect(req?.method).toBe('POST');
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/sts\/aws4_request/,
    );
    expect(Object.fromEntries(new URLSearchParams(req?.body))).toEqual({
      Action: 'GetWebIdentityToken',
      Version: '2011-06-15',
      'Audience.member.1': 'https://pocket.example.com',
      SigningAlgorithm: 'ES384',
      DurationSeconds: '300',
    });
  });

  it('returns a JWT the issuer JWKS verifies, with sub = role ARN and aud = the provider audience', async () => {
    const token = await source().get();

    const discovery = (await (await fetch(`${fake.issuer}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(discovery.issuer).toBe(fake.issuer);
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: fake.issuer,
      audience: 'https://pocket.example.com',
      algorithms: ['ES384'],
    });
    expect(protectedHeader.alg).toBe('ES384');
    expect(payload.sub).toBe(fake.roleArn);
    expect(payload.exp).toBe((payload.iat ?? 0) + 300);
  });

  it('requests the audience named in the option instead of the provider audience', async () => {
    await source({ audience: 'sts-audience' }).get();

    expect(fake.tokenCalls[0]?.audiences).toEqual(['sts-audience']);
  });

  it('signs with RS256 when the option says AwsWebIdentity:RS256', async () => {
    const parsed = parseClientAssertion('AwsWebIdentity:RS256');
    if (!('spec' in parsed)) throw new Error(parsed.error);

    const token = await createAssertionSource(parsed.spec, {
      audience: 'https://pocket.example.com',
      env: {},
      stsClient: sts,
    }).get();

    expect(fake.tokenCalls[0]?.signingAlgorithm).toBe('RS256');
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
  });

  it('throws at creation when the audience is empty', async () => {
    await expectFailure(() => source({}, { audience: '' }), 'ERR_ASSERTION_CONFIG', /audience is empty/);
  });

  it('reuses the token until 60 s before Expiration', async () => {
    const clock = testClock();
    fake.now = clock.now;
    const src = source({}, { now: clock.now });
    const first = await src.get();

    clock.advance(240_000 - 1);
    expect(await src.get()).toBe(first);
    clock.advance(1);
    expect(await src.get()).not.toBe(first);
    expect(fake.tokenRequests).toHaveLength(2);
  });

  it('coalesces 20 concurrent callers into one STS call', async () => {
    fake.delayMs = 200;

    const tokens = await getMany(source(), 20);

    expect(new Set(tokens).size).toBe(1);
    expect(fake.tokenRequests).toHaveLength(1);
  });

  it('rejects an STS error, naming the exception', async () => {
    fake.inject(
      FakeSts.error(403, 'OutboundWebIdentityFederationDisabledException', 'Outbound identity federation is disabled'),
    );

    await expectFailure(
      () => source().get(),
      'ERR_ASSERTION_STS',
      /STS GetWebIdentityToken failed: OutboundWebIdentityFederationDisabledException/,
    );
  });

  it('rejects a response without a WebIdentityToken', async () => {
    fake.inject({
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body:
        '<GetWebIdentityTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetWebIdentityTokenResult>' +
        '</GetWebIdentityTokenResult></GetWebIdentityTokenResponse>',
    });

    await expectFailure(() => source().get(), 'ERR_ASSERTION_RESPONSE', /no WebIdentityToken/);
  });
});
