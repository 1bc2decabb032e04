import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FederatedIdentity } from '../../dev/idp-federation.js';
import { ConfigError } from '../../shared/config/errors.js';
import { validateConfig } from '../../shared/config/load.js';
import { jsonReply } from '../helpers/fakes/http-fake.js';
import { FakeSts } from '../helpers/fakes/sts.js';
import { FakeTsiam } from '../helpers/fakes/tsiam.js';
import { type Hop, type Stack, startStack, TEST_CLIENT } from '../helpers/stack.js';

/**
 * End-to-end logins through the real standalone server where the dev IdP (Pocket ID paths) accepts the client ONLY
 * with a valid federated client assertion, checked as Pocket ID does: `iss` picks the federated identity, then
 * signature against the issuer's JWKS, `iss`, `sub`, `aud` (contains), `exp` required, 30 s skew. The RP config holds
 * no client secret at all.
 */

const APP = 'https://app.example.com/dashboard';
/** The subject a Kubernetes API server puts in a service-account token. */
const SA_SUBJECT = 'system:serviceaccount:auth:traefik-forward-auth';

/**
 * A loopback token issuer standing in for a Kubernetes service-account issuer (or any OIDC-style workload issuer):
 * it serves its public key at `/.well-known/jwks.json` and mints JWTs with `iss` = its URL.
 */
class TestIssuer {
  url = '';
  readonly kid = 'sa-key-1';
  private server?: Server;
  private key?: { privateKey: CryptoKey; jwk: JWK };

  async start(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    this.key = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: this.kid, alg: 'RS256', use: 'sig' } };
    const jwks = JSON.stringify({ keys: [this.key.jwk] });
    const server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /**
   * A token like the kubelet projects: `iss` = this issuer, a fresh `jti`, `iat` now and `exp` in 10 minutes unless
   * `claims` says otherwise (`exp: undefined` leaves it out). `signWith` signs with another key under the same `kid`.
   */
  async mint(claims: JWTPayload, signWith?: CryptoKey): Promise<string> {
    if (!this.key) throw new Error('TestIssuer is not started');
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = { iss: this.url, jti: randomUUID(), iat: now, exp: now + 600, ...claims };
    if ('exp' in claims && claims.exp === undefined) delete payload.exp;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .sign(signWith ?? this.key.privateKey);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** One portal `main` with a single Pocket ID provider authenticating by `clientAssertion` (no secret). */
function assertionConfig(issuer: string, clientAssertion: string, provider: Record<string, unknown> = {}) {
  return {
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    portals: [
      {
        name: 'main',
        providers: [{ pocketID: { endpoint: issuer, clientID: TEST_CLIENT.clientId, clientAssertion, ...provider } }],
      },
    ],
  };
}

function callbackHop(hops: Hop[]): Hop | undefined {
  return hops.find((h) => h.url.startsWith('https://auth.example.com/portals/main/oauth2/callback'));
}

/** Asserts that the login ended at the app as alice. */
function expectLoggedIn(hops: Hop[]): void {
  const last = hops.at(-1);
  expect(last?.url).toBe(APP);
  expect(last?.status).toBe(200);
  expect(last?.headers.get('x-forwarded-user')).toBe('alice');
}

/**
 * Asserts that the code exchange failed and the browser never reached the app: by default the IdP refused the client
 * (invalid_client, 424); a failure on our side answers 500.
 */
function expectCallbackFailed(
  hops: Hop[],
  status = 424,
  message = 'The identity provider rejected the client credentials of this auth server',
): void {
  const callback = callbackHop(hops);
  expect(callback?.status).toBe(status);
  expect(callback?.body).toContain(message);
  expect(hops.at(-1)).toBe(callback);
}

/** The `detail` of the server's "Failed request" log line for the callback. */
function callbackFailureDetail(stack: Stack): string {
  const line = stack.logs
    .map((l) => JSON.parse(l) as { msg?: string; path?: string; detail?: string })
    .find((l) => l.msg === 'Failed request' && l.path?.includes('/oauth2/callback'));
  return line?.detail ?? '';
}

describe('KubernetesServiceAccountToken against an IdP that accepts only federated assertions', () => {
  const issuer = new TestIssuer();
  let dir: string;
  let tokenFile: string;
  let stack: Stack;

  beforeAll(async () => {
    await issuer.start();
    dir = mkdtempSync(join(tmpdir(), 'tfa-federated-'));
    tokenFile = join(dir, 'token');
  });
  afterAll(async () => {
    await issuer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    rmSync(tokenFile, { force: true });
    const federated: FederatedIdentity[] = [
      // Audience left to Pocket ID's default: its own URL (APP_URL), which is what the projection requests.
      { clientId: TEST_CLIENT.clientId, issuer: issuer.url, subject: SA_SUBJECT },
    ];
    stack = await startStack({
      config: (idp) => assertionConfig(idp, `KubernetesServiceAccountToken=${tokenFile}`),
      idp: { federated },
    });
  });
  afterEach(() => stack?.close());

  /** Projects `token` into the pod's token file, padded with whitespace as files often are. */
  const project = (token: string) => writeFileSync(tokenFile, `\n${token}\n`);

  it('logs in with a projected service-account token and re-reads the file at every code exchange', async () => {
    // Prepare
    const first = await issuer.mint({ sub: SA_SUBJECT, aud: stack.idp.issuer });
    const second = await issuer.mint({ sub: SA_SUBJECT, aud: stack.idp.issuer });
    project(first);

    // Act: two logins, with the kubelet rotating the token in between.
    const firstLogin = await stack.browser().login(APP);
    project(second);
    const secondLogin = await stack.browser().login(APP, 'bob');

    // Assess
    expectLoggedIn(firstLogin);
    expect(secondLogin.at(-1)?.headers.get('x-forwarded-user')).toBe('bob');
    expect(stack.idp.federatedAuth).toEqual([
      {
        clientId: TEST_CLIENT.clientId,
        issuer: issuer.url,
        jti: jtiOf(first),
        outcome: 'accepted',
        reason: 'valid assertion',
      },
      {
        clientId: TEST_CLIENT.clientId,
        issuer: issuer.url,
        jti: jtiOf(second),
        outcome: 'accepted',
        reason: 'valid assertion',
      },
    ]);
  });

  it.each([
    ['a wrong subject', { sub: 'system:serviceaccount:other:intruder' }, /claim 'sub'/],
    ['a wrong audience', { aud: 'https://someone-else.example.com' }, /claim 'aud'/],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 120 }, /claim 'exp'.*expired/],
    ['a token without exp', { exp: undefined }, /claim 'exp'/],
  ])('rejects a service-account token with %s (invalid_client, callback 424)', async (_name, claims, reason) => {
    // Prepare
    project(await issuer.mint({ sub: SA_SUBJECT, aud: stack.idp.issuer, ...claims }));

    // Act
    const hops = await stack.browser().login(APP);

    // Assess
    expectCallbackFailed(hops);
    expect(stack.idp.federatedAuth).toEqual([
      expect.objectContaining({ outcome: 'invalid_client', reason: expect.stringMatching(reason) }),
    ]);
    expect(callbackFailureDetail(stack)).toMatch(/invalid_client/);
  });

  it('rejects a service-account token signed by a key the issuer does not publish', async () => {
    // Prepare: same kid, different key, as a forger would try.
    const { privateKey: forgedKey } = await generateKeyPair('RS256');
    project(await issuer.mint({ sub: SA_SUBJECT, aud: stack.idp.issuer }, forgedKey));

    // Act
    const hops = await stack.browser().login(APP);

    // Assess
    expectCallbackFailed(hops);
    expect(stack.idp.federatedAuth).toEqual([
      expect.objectContaining({ outcome: 'invalid_client', reason: 'signature verification failed' }),
    ]);
  });

  it('rejects a token from an issuer the client has no federated identity for', async () => {
    // Prepare: a second, well-formed issuer that the IdP does not know.
    const stranger = new TestIssuer();
    await stranger.start();
    project(await stranger.mint({ sub: SA_SUBJECT, aud: stack.idp.issuer }));

    // Act
    const hops = await stack.browser().login(APP);
    await stranger.stop();

    // Assess
    expectCallbackFailed(hops);
    expect(stack.idp.federatedAuth).toEqual([
      expect.objectContaining({
        issuer: stranger.url,
        outcome: 'invalid_client',
        reason: expect.stringMatching(/no federated identity/),
      }),
    ]);
  });

  it('rejects the login with a clear error when the token file is missing', async () => {
    // Prepare: no file projected.

    // Act
    const hops = await stack.browser().login(APP);

    // Assess: nothing reached the IdP's token endpoint; the missing file is ours to fix (500).
    expectCallbackFailed(hops, 500, 'An internal error occurred');
    expect(callbackFailureDetail(stack)).toContain(
      `failed to read Kubernetes service account token from '${tokenFile}' (ENOENT)`,
    );
    expect(stack.idp.federatedAuth).toEqual([]);
  });
});

describe('a client with federated credentials', () => {
  const issuer = new TestIssuer();
  let stack: Stack;
  beforeAll(async () => {
    await issuer.start();
    stack = await startStack({
      // The RP uses the client secret that the IdP's client had before federation was set up.
      config: (idp) => ({
        server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
        portals: [
          {
            name: 'main',
            providers: [
              {
                pocketID: { endpoint: idp, clientID: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret },
              },
            ],
          },
        ],
      }),
      idp: { federated: [{ clientId: TEST_CLIENT.clientId, issuer: issuer.url, subject: SA_SUBJECT }] },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await issuer.stop();
  });

  it('rejects a client secret: the IdP refuses anything but a valid assertion', async () => {
    // Act
    const hops = await stack.browser().login(APP);

    // Assess
    expectCallbackFailed(hops);
    expect(stack.idp.federatedAuth).toEqual([
      {
        clientId: TEST_CLIENT.clientId,
        outcome: 'invalid_client',
        reason: 'this client authenticates only with a federated client assertion',
      },
    ]);
  });
});

describe('AwsWebIdentity (STS GetWebIdentityToken) against an IdP that accepts only federated assertions', () => {
  const sts = new FakeSts();
  let stack: Stack | undefined;
  const savedEndpoint = process.env.AWS_ENDPOINT_URL_STS;

  beforeAll(async () => {
    await sts.start();
    // The real SDK client (created from the environment at the first exchange) talks to the fake.
    process.env.AWS_ENDPOINT_URL_STS = sts.url;
  });
  afterAll(async () => {
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
    else process.env.AWS_ENDPOINT_URL_STS = savedEndpoint;
    await sts.stop();
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    sts.reset();
  });

  /** The stack with the IdP trusting the fake STS issuer for the role ARN (audience: Pocket ID's default, its URL). */
  const start = async (clientAssertion: string, subject = sts.roleArn) => {
    stack = await startStack({
      config: (idp) => assertionConfig(idp, clientAssertion),
      idp: { federated: [{ clientId: TEST_CLIENT.clientId, issuer: sts.issuer, subject }] },
    });
    return stack;
  };

  it('logs in with an STS web identity token for the Pocket ID endpoint and reuses it for the next login', async () => {
    // Prepare
    const s = await start('AwsWebIdentity');

    // Act
    const first = await s.browser().login(APP);
    const second = await s.browser().login(APP);

    // Assess: one STS call with the documented parameters, in the query protocol the SDK really sends.
    expectLoggedIn(first);
    expectLoggedIn(second);
    expect(sts.tokenRequests).toHaveLength(1);
    const form = new URLSearchParams(sts.tokenRequests[0]?.body);
    expect(form.get('Action')).toBe('GetWebIdentityToken');
    expect(form.get('Audience.member.1')).toBe(s.idp.issuer);
    expect(form.has('Audience.member.2')).toBe(false);
    expect(form.get('SigningAlgorithm')).toBe('ES384');
    expect(form.get('DurationSeconds')).toBe('300');
    expect(s.idp.federatedAuth.map((e) => [e.issuer, e.outcome])).toEqual([
      [sts.issuer, 'accepted'],
      [sts.issuer, 'accepted'],
    ]);
  });

  it('fetches a new STS token when the cached one is about to expire', async () => {
    // Prepare: STS mints tokens that expire in 50 s, inside the 60 s reuse margin (still valid for the IdP).
    const s = await start('AwsWebIdentity');
    sts.now = () => Date.now() - 250_000;

    // Act
    const first = await s.browser().login(APP);
    const second = await s.browser().login(APP);

    // Assess
    expectLoggedIn(first);
    expectLoggedIn(second);
    expect(sts.tokenCalls).toHaveLength(2);
  });

  it('logs in with an RS256 token when the option asks for it', async () => {
    // Prepare
    const s = await start('AwsWebIdentity:RS256');

    // Act
    const hops = await s.browser().login(APP);

    // Assess
    expectLoggedIn(hops);
    expect(sts.tokenCalls).toEqual([{ audiences: [s.idp.issuer], signingAlgorithm: 'RS256', durationSeconds: 300 }]);
  });

  it('rejects a token whose role ARN is not the federated subject', async () => {
    // Prepare
    const s = await start('AwsWebIdentity', 'arn:aws:iam::123456789012:role/some-other-role');

    // Act
    const hops = await s.browser().login(APP);

    // Assess
    expectCallbackFailed(hops);
    expect(s.idp.federatedAuth).toEqual([
      expect.objectContaining({
        issuer: sts.issuer,
        outcome: 'invalid_client',
        reason: expect.stringMatching(/claim 'sub'/),
      }),
    ]);
  });

  it('rejects a token requested for another audience', async () => {
    // Prepare
    const s = await start('AwsWebIdentity=https://pocket-id.example.com');

    // Act
    const hops = await s.browser().login(APP);

    // Assess
    expectCallbackFailed(hops);
    expect(sts.tokenCalls[0]?.audiences).toEqual(['https://pocket-id.example.com']);
    expect(s.idp.federatedAuth).toEqual([
      expect.objectContaining({ outcome: 'invalid_client', reason: expect.stringMatching(/claim 'aud'/) }),
    ]);
  });

  it('answers 503 when STS keeps failing with server errors, and the next login works', async () => {
    // Prepare: more 500s than the SDK's three attempts.
    const s = await start('AwsWebIdentity');
    const failure = () => FakeSts.error(500, 'InternalFailure', 'An internal error occurred in STS');
    sts.inject(failure(), failure(), failure(), failure());

    // Act
    const failed = await s.browser().login(APP);
    sts.reset();
    const retried = await s.browser().login(APP);

    // Assess: our dependency failed (503, "try again later"); nothing was cached or lost.
    expectCallbackFailed(failed, 503, 'Service temporarily unavailable');
    expect(callbackFailureDetail(s)).toContain('InternalFailure');
    expectLoggedIn(retried);
  });

  it('rejects the login with the STS error when outbound federation is disabled', async () => {
    // Prepare
    const s = await start('AwsWebIdentity');
    sts.inject(
      FakeSts.error(
        403,
        'OutboundWebIdentityFederationDisabledException',
        'Outbound web identity federation is disabled',
      ),
    );

    // Act
    const hops = await s.browser().login(APP);

    // Assess: STS answered, with a refusal only the account owner can lift (500, not "try again later").
    expectCallbackFailed(hops, 500, 'An internal error occurred');
    expect(callbackFailureDetail(s)).toContain('OutboundWebIdentityFederationDisabledException');
    expect(s.idp.federatedAuth).toEqual([]);
  });
});

describe('tsiam against an IdP that accepts only federated assertions', () => {
  const tsiam = new FakeTsiam();
  const issuer = new TestIssuer();
  let stack: Stack;

  beforeAll(async () => {
    await Promise.all([tsiam.start(), issuer.start()]);
    stack = await startStack({
      config: (idp) => assertionConfig(idp, `tsiam=${tsiam.url}`),
      idp: { federated: [{ clientId: TEST_CLIENT.clientId, issuer: issuer.url, subject: 'tsiam:tfa' }] },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([tsiam.stop(), issuer.stop()]);
  });

  it('logs in with the token tsiam issues for the Pocket ID endpoint', async () => {
    // Prepare: tsiam hands out a JWT from the trusted issuer, for the resource it was asked for.
    const token = await issuer.mint({ sub: 'tsiam:tfa', aud: stack.idp.issuer });
    tsiam.inject(jsonReply(200, { access_token: token, expires_in: '3600' }));

    // Act
    const hops = await stack.browser().login(APP);

    // Assess
    expectLoggedIn(hops);
    expect(tsiam.tokenRequests.map((r) => [r.method, r.query.get('resource'), r.headers['x-tsiam']])).toEqual([
      ['POST', stack.idp.issuer, '1'],
    ]);
    expect(stack.idp.federatedAuth).toEqual([expect.objectContaining({ outcome: 'accepted', jti: jtiOf(token) })]);
  });
});

describe('clientAssertion configuration', () => {
  it.each([
    ['clientSecret', { clientSecret: 'a-secret' }],
    ['clientSecretFile', { clientSecretFile: '/run/secrets/pocket-id' }],
  ])('rejects %s together with clientAssertion, naming both keys', (key, secret) => {
    // Prepare
    const raw = assertionConfig('https://pocket-id.example.com', 'AwsWebIdentity', secret);

    // Act
    const act = () => validateConfig(raw, 'test config');

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(new RegExp(`'clientAssertion' and '${key}' are both set`));
  });
});

function jtiOf(jwt: string): string {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as JWTPayload;
  return String(payload.jti);
}
