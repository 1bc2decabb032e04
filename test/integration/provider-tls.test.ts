import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../dev/local-pki.js';
import { Browser, type BrowserOptions, type Hop, type Stack, startStack, TEST_CLIENT } from '../helpers/stack.js';

/**
 * Provider TLS options end to end: the identity provider is served over HTTPS with a certificate from a CA generated
 * here, and the real standalone server must reach it for discovery, token, JWKS and userinfo. Node's built-in fetch
 * does not trust that CA, so every passing login proves the provider's own connection pool (openid-client
 * `customFetch`) carried that call.
 */

const APP = 'https://app.example.com/dashboard';
/** What Node/OpenSSL report for a chain that ends in an unknown CA. */
const CERT_ERROR = /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|unable to verify|self[- ]signed/i;

/**
 * The test browser, which (like a user's browser with the company CA installed) trusts the test CA when it visits the
 * identity provider. Everything else is the shared Traefik-playing {@link Browser}.
 */
class CaTrustingBrowser extends Browser {
  constructor(
    opts: Pick<BrowserOptions, 'server' | 'idp'>,
    private readonly agent: Agent,
  ) {
    super(opts);
  }

  override async request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Hop> {
    if (!url.startsWith(this.opts.idp)) return super.request(url, init);
    const cookie = await this.jar.getCookieString(url);
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent, Accept: 'text/html', ...init.headers };
    if (cookie) headers.Cookie = cookie;
    const res = await undiciFetch(url, { ...init, headers, redirect: 'manual', dispatcher: this.agent });
    for (const c of res.headers.getSetCookie()) await this.jar.setCookie(c, url, { ignoreError: true });
    return { url, status: res.status, headers: new Headers([...res.headers]), body: await res.text() };
  }
}

/** The test CA as a provider option would name it: inline PEM or a file path. */
interface CaFixture {
  pem: string;
  file: string;
}

/** One portal `main` with one provider of `kind` pointing at `issuer`, plus the provider options under test. */
function tlsConfig(kind: 'pocketID' | 'openIDConnect', issuer: string, tls: Record<string, unknown>) {
  const where = kind === 'pocketID' ? { endpoint: issuer } : { tokenIssuer: issuer };
  return {
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    portals: [
      {
        name: 'main',
        providers: [
          { [kind]: { ...where, clientID: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret, ...tls } },
        ],
      },
    ],
  };
}

/** Everything the server logged about failed requests, as text. */
function failureLogs(stack: Stack): string {
  return stack.logs.filter((l) => l.includes('"Failed request"')).join('\n');
}

/** Paths the HTTPS identity provider served, in order (recorded next to oidc-provider's own handler). */
function recordPaths(stack: Stack): string[] {
  const paths: string[] = [];
  stack.idp.server.on('request', (req: { method?: string; url?: string }) => {
    paths.push(`${req.method} ${new URL(req.url ?? '/', stack.idp.issuer).pathname}`);
  });
  return paths;
}

describe('provider TLS options against an HTTPS identity provider', () => {
  let pki: TestPki;
  let dir: string;
  let caFile: string;
  let browserAgent: Agent;
  let stack: Stack | undefined;

  beforeAll(() => {
    pki = createTestPki('tfa provider-tls test CA');
    dir = mkdtempSync(join(tmpdir(), 'tfa-provider-tls-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, pki.caPEM);
    browserAgent = new Agent({ connect: { ca: pki.caPEM } });
  });
  afterAll(async () => {
    await browserAgent.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  /** The real server plus the dev IdP on HTTPS (certificate for 127.0.0.1 signed by the test CA). */
  const start = async (kind: 'pocketID' | 'openIDConnect', tls: (ca: CaFixture) => Record<string, unknown>) => {
    stack = await startStack({
      config: (issuer) => tlsConfig(kind, issuer, tls({ pem: pki.caPEM, file: caFile })),
      idp: { tls: { cert: pki.serverCertPEM, key: pki.serverKeyPEM } },
    });
    return stack;
  };
  const browser = (s: Stack) => new CaTrustingBrowser({ server: s.server.url, idp: s.idp.issuer }, browserAgent);

  describe('Pocket ID (no discovery: the token exchange is the first TLS call)', () => {
    it('rejects the login with a certificate error when no CA is configured', async () => {
      // Prepare
      const s = await start('pocketID', () => ({}));
      expect(s.idp.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

      // Act
      const hops = await browser(s).login(APP);

      // Assess: the browser got through the IdP, the server could not reach its token endpoint (502).
      const callback = hops.at(-1);
      expect(callback?.url).toMatch(/^https:\/\/auth\.example\.com\/portals\/main\/oauth2\/callback\?/);
      expect(callback?.status).toBe(502);
      expect(callback?.body).toContain('The identity provider could not be reached');
      expect(failureLogs(s)).toMatch(/code exchange with provider 'pocketid' failed/);
      expect(failureLogs(s)).toMatch(CERT_ERROR);
    });

    it.each([
      ['tlsCACertificatePEM', (ca: CaFixture) => ({ tlsCACertificatePEM: ca.pem })],
      ['tlsCACertificatePath', (ca: CaFixture) => ({ tlsCACertificatePath: ca.file })],
    ])('logs in when the CA is given with %s', async (_key, tls) => {
      // Prepare
      const s = await start('pocketID', tls);
      const served = recordPaths(s);

      // Act
      const hops = await browser(s).login(APP);

      // Assess: token exchange and ID-token verification (JWKS) both went over the provider's TLS pool.
      expect(hops.at(-1)?.status).toBe(200);
      expect(hops.at(-1)?.headers.get('x-forwarded-user')).toBe('alice');
      expect(served).toContain('POST /api/oidc/token');
      expect(served).toContain('GET /.well-known/jwks.json');
    });

    it('logs in with tlsInsecureSkipVerify and warns about it at start-up', async () => {
      // Prepare
      const s = await start('pocketID', () => ({ tlsInsecureSkipVerify: true }));

      // Act
      const hops = await browser(s).login(APP);

      // Assess
      expect(hops.at(-1)?.status).toBe(200);
      expect(hops.at(-1)?.headers.get('x-forwarded-user')).toBe('alice');
      const warnings = s.logs
        .map((l) => JSON.parse(l) as { level: string; msg: string })
        .filter((l) => l.level === 'WARN');
      expect(warnings).toContainEqual(
        expect.objectContaining({
          msg: 'portals[0].providers[0].pocketID.tlsInsecureSkipVerify is true: TLS certificates of this provider are not verified',
        }),
      );
    });

    it('rejects a CA that did not sign the server certificate', async () => {
      // Prepare
      const other = createTestPki('some other CA');
      const s = await start('pocketID', () => ({ tlsCACertificatePEM: other.caPEM }));

      // Act
      const hops = await browser(s).login(APP);

      // Assess: an untrusted certificate means the provider cannot be reached safely (502).
      expect(hops.at(-1)?.status).toBe(502);
      expect(failureLogs(s)).toMatch(CERT_ERROR);
    });
  });

  describe('OpenID Connect (discovery is the first TLS call)', () => {
    it('rejects the provider start with a certificate error when no CA is configured', async () => {
      // Prepare
      const s = await start('openIDConnect', () => ({}));

      // Act
      const hops = await browser(s).login(APP);

      // Assess: the provider start (which needs the discovered authorize URL) fails before any redirect to the IdP.
      const last = hops.at(-1);
      expect(last?.url).toMatch(/^https:\/\/auth\.example\.com\/portals\/main\/providers\/openidconnect\?state=/);
      expect(last?.status).toBe(502);
      expect(last?.body).toContain('The identity provider could not be reached');
      expect(hops.some((h) => h.url.startsWith(s.idp.issuer))).toBe(false);
      expect(failureLogs(s)).toMatch(/discovery of 'https:\/\/127\.0\.0\.1:\d+' for provider 'openidconnect' failed/);
      expect(failureLogs(s)).toMatch(CERT_ERROR);
    });

    it('logs in with tlsCACertificatePath: discovery, token and JWKS over the provider pool', async () => {
      // Prepare
      const s = await start('openIDConnect', (ca) => ({ tlsCACertificatePath: ca.file }));
      const served = recordPaths(s);

      // Act
      const hops = await browser(s).login(APP);

      // Assess
      expect(hops.at(-1)?.status).toBe(200);
      expect(hops.at(-1)?.headers.get('x-forwarded-user')).toBe('alice');
      expect(served).toContain('GET /.well-known/openid-configuration');
      expect(served).toContain('POST /api/oidc/token');
      expect(served).toContain('GET /.well-known/jwks.json');
    });
  });
});

/**
 * A Pocket-ID-shaped HTTPS server for the paths oidc-provider never takes. `/authorize` approves at once and sends the
 * browser back with a code. By default the token response has no ID token, so the profile comes from userinfo; with
 * `idToken` set it returns an ID token for the authorize request's nonce, signed with the published key or a forged
 * one (same `kid`).
 */
class HttpsPocketIdFake {
  url = '';
  readonly served: string[] = [];
  idToken: 'none' | 'published-key' | 'forged-key' = 'none';
  private server?: Server;
  private nonce = '';
  private keys?: { published: CryptoKey; forged: CryptoKey; jwk: JWK };

  async start(pki: TestPki): Promise<void> {
    const published = await generateKeyPair('RS256');
    const forged = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(published.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    this.keys = { published: published.privateKey, forged: forged.privateKey, jwk };
    const server = createServer({ cert: pki.serverCertPEM, key: pki.serverKeyPEM }, (req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.served.push(`${req.method} ${url.pathname}`);
    req.resume();
    const json = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/authorize') {
      this.nonce = url.searchParams.get('nonce') ?? '';
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', 'code-1');
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(303, { location: back.href }).end();
    } else if (url.pathname === '/api/oidc/token') {
      const idToken = this.idToken === 'none' ? {} : { id_token: await this.signIdToken() };
      json({ access_token: 'at-1', token_type: 'Bearer', expires_in: 60, ...idToken });
    } else if (url.pathname === '/api/oidc/userinfo') {
      if (req.headers.authorization === 'Bearer at-1') json({ sub: 'carol', name: 'Carol over TLS' });
      else res.writeHead(401).end();
    } else if (url.pathname === '/.well-known/jwks.json') json({ keys: this.keys ? [this.keys.jwk] : [] });
    else res.writeHead(404).end();
  }

  private signIdToken(): Promise<string> {
    if (!this.keys) throw new Error('not started');
    return new SignJWT({ nonce: this.nonce, name: 'Dave from the ID token' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(this.url)
      .setSubject('dave')
      .setAudience(TEST_CLIENT.clientId)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(this.idToken === 'forged-key' ? this.keys.forged : this.keys.published);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('provider TLS on the userinfo and JWKS calls', () => {
  const pki = createTestPki('tfa pocket-id fake test CA');
  const idp = new HttpsPocketIdFake();
  const agent = new Agent({ connect: { ca: pki.caPEM } });
  let stack: Stack | undefined;

  beforeAll(() => idp.start(pki));
  afterAll(async () => {
    await idp.stop();
    await agent.close();
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    idp.served.length = 0;
  });

  const login = async (tls: Record<string, unknown>) => {
    stack = await startStack({ config: () => tlsConfig('pocketID', idp.url, tls) });
    const hops = await new CaTrustingBrowser({ server: stack.server.url, idp: idp.url }, agent).login(APP);
    return { hops, stack };
  };

  it('logs in from userinfo fetched over the provider pool when the token response has no ID token', async () => {
    // Prepare
    idp.idToken = 'none';

    // Act
    const { hops } = await login({ tlsCACertificatePEM: pki.caPEM });

    // Assess
    expect(hops.at(-1)?.status).toBe(200);
    expect(hops.at(-1)?.headers.get('x-forwarded-user')).toBe('carol');
    expect(idp.served).toEqual(['GET /authorize', 'POST /api/oidc/token', 'GET /api/oidc/userinfo']);
  });

  it('logs in from an ID token verified against the JWKS fetched over the provider pool', async () => {
    // Prepare
    idp.idToken = 'published-key';

    // Act
    const { hops } = await login({ tlsCACertificatePEM: pki.caPEM });

    // Assess
    expect(hops.at(-1)?.status).toBe(200);
    expect(hops.at(-1)?.headers.get('x-forwarded-user')).toBe('dave');
    expect(idp.served).toEqual(['GET /authorize', 'POST /api/oidc/token', 'GET /.well-known/jwks.json']);
  });

  it('rejects an ID token with a forged signature even when tlsInsecureSkipVerify is on', async () => {
    // Prepare: with verification off TLS authenticates nothing, so only the JWKS signature check stands.
    idp.idToken = 'forged-key';

    // Act
    const { hops, stack: s } = await login({ tlsInsecureSkipVerify: true });

    // Assess
    expect(hops.at(-1)?.url).toMatch(/\/oauth2\/callback\?/);
    expect(hops.at(-1)?.status).toBe(500);
    expect(failureLogs(s)).toMatch(/code exchange with provider 'pocketid' failed.*signature/i);
  });
});
