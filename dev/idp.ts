import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, interactionPolicy } from 'oidc-provider';
import {
  type FederatedAuthEvent,
  type FederatedIdentity,
  FederatedVerifier,
  federatedTokenRequest,
} from './idp-federation.js';

/**
 * A development OpenID provider (the `oidc-provider` package) that serves Pocket ID's paths: `/authorize`,
 * `/api/oidc/token`, `/api/oidc/userinfo`, `/.well-known/jwks.json`, issuer = its base URL. It puts every claim in
 * the ID token, as Pocket ID does, and accepts any login name with any password (devInteractions). Optionally it
 * serves HTTPS (`tls`) and authenticates clients with Pocket ID's federated client credentials (`federated`).
 *
 * FOR THE DEMO AND TESTS ONLY. Never use it in production.
 */
export interface DemoUser {
  name?: string;
  given_name?: string;
  family_name?: string;
  nickname?: string;
  preferred_username?: string;
  email?: string;
  email_verified?: boolean;
  picture?: string;
  locale?: string;
  zoneinfo?: string;
  groups?: string[];
  [claim: string]: unknown;
}

export interface IdpClient {
  clientId: string;
  /** Omit for a client that authenticates with a JWT assertion (see `clientAuth`). */
  clientSecret?: string;
  /** @default 'client_secret_post' */
  clientAuth?: Configuration['clients'] extends (infer C)[] | undefined
    ? C extends { token_endpoint_auth_method?: infer M }
      ? M
      : never
    : never;
  /** Extra client metadata (for example `jwks_uri` for private_key_jwt). */
  metadata?: Record<string, unknown>;
}

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|.+\.localhost|\[::1\])$/;
const loopbackCallback = (u: URL) => LOOPBACK_HOST.test(u.hostname) && u.pathname.endsWith('/oauth2/callback');
const loopbackLoggedOut = (u: URL) => LOOPBACK_HOST.test(u.hostname) && u.pathname.endsWith('/logged-out');

export interface DevIdpOptions {
  host?: string;
  port?: number;
  clients: IdpClient[];
  users?: Record<string, DemoUser>;
  /** Require PKCE from every client (Pocket ID requires it for public clients only). @default false */
  requirePkce?: boolean;
  /** Which redirect_uri values are accepted. @default loopback and `*.localhost` hosts, path ending in /oauth2/callback */
  allowRedirect?: (url: URL) => boolean;
  /**
   * Which post_logout_redirect_uri values RP-initiated logout accepts.
   * @default loopback and `*.localhost` hosts, path ending in /logged-out
   */
  allowPostLogoutRedirect?: (url: URL) => boolean;
  /** Provider configuration overrides. */
  extra?: Partial<Configuration>;
  /**
   * Federated client credentials, validated as Pocket ID does (see {@link FederatedIdentity}). A client named here
   * authenticates ONLY with a valid `client_assertion`: its registered secret is replaced by a random internal one.
   */
  federated?: FederatedIdentity[];
  /** Serve HTTPS with this certificate and key (PEM); the issuer becomes `https://host:port`. @default plain HTTP */
  tls?: { cert: string; key: string };
}

export interface DevIdp {
  /** Issuer URL, no trailing slash (Pocket ID's `endpoint`). */
  issuer: string;
  provider: Provider;
  server: Server;
  /** Federated client authentication decisions at the token endpoint, oldest first (only with `federated`). */
  federatedAuth: FederatedAuthEvent[];
  close(): Promise<void>;
}

export const DEMO_USERS: Record<string, DemoUser> = {
  alice: {
    name: 'Alice Example',
    given_name: 'Alice',
    family_name: 'Example',
    preferred_username: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    groups: ['admins', 'users'],
    locale: 'en-GB',
  },
  bob: { name: 'Bob Example', email: 'bob@example.com', email_verified: false, groups: ['users'] },
};

const TOKEN_PATH = '/api/oidc/token';

/** Starts the development OpenID provider on loopback. */
export async function startDevIdp(opts: DevIdpOptions): Promise<DevIdp> {
  const host = opts.host ?? '127.0.0.1';
  // node:https's Server extends node:http's Server, so the rest of the code is the same for both.
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }) : createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `${opts.tls ? 'https' : 'http'}://${host}:${port}`;
  const federated = opts.federated ?? [];
  // Federated clients get a random secret that nobody outside this process knows: the token route swaps a valid
  // assertion for it, so that oidc-provider sees an ordinary client_secret_post client.
  const internalSecrets = new Map(federated.map((f) => [f.clientId, randomBytes(32).toString('base64url')]));
  const federatedClients = [...internalSecrets.keys()].filter((id) => !opts.clients.some((c) => c.clientId === id));
  const users = opts.users ?? DEMO_USERS;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'dev', use: 'sig', alg: 'RS256' };

  // A session whose account `findAccount` no longer finds (a user disabled or removed since) must sign in again, as at
  // a real provider: a silent `prompt=none` authorization then answers `login_required` (oidc-provider would
  // otherwise go on to the consent check, which needs the account, and fail with a server error).
  const policy = interactionPolicy.base();
  policy
    .get('login')
    ?.checks.add(
      new interactionPolicy.Check('account_gone', "The session's account no longer exists", (ctx) =>
        ctx.oidc.session?.accountId && !ctx.oidc.account
          ? interactionPolicy.Check.REQUEST_PROMPT
          : interactionPolicy.Check.NO_NEED_TO_PROMPT,
      ),
    );

  const provider = new Provider(issuer, {
    interactions: { policy },
    clients: [...opts.clients, ...federatedClients.map((clientId) => ({ clientId }))].map((c: IdpClient) => {
      const internal = internalSecrets.get(c.clientId);
      const secret = internal ?? c.clientSecret;
      return {
        client_id: c.clientId,
        ...(secret ? { client_secret: secret } : {}),
        token_endpoint_auth_method: internal ? 'client_secret_post' : (c.clientAuth ?? 'client_secret_post'),
        // Any loopback or demo callback is accepted (see redirectUriAllowed below); one must be registered.
        redirect_uris: ['http://localhost/oauth2/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        ...c.metadata,
      };
    }),
    routes: {
      authorization: '/authorize',
      token: TOKEN_PATH,
      userinfo: '/api/oidc/userinfo',
      jwks: '/.well-known/jwks.json',
      // Pocket ID's end-session path (RP-initiated logout).
      end_session: '/api/oidc/end-session',
    },
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => opts.requirePkce ?? false },
    // RP-initiated logout at Pocket ID's end-session path; back-channel logout for clients that register a
    // `backchannel_logout_uri` (client metadata), with `sid` in their ID tokens when they ask for it.
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      backchannelLogout: { enabled: true },
    },
    scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'nickname', 'preferred_username', 'picture', 'locale', 'zoneinfo'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // Back-channel logout calls go to loopback servers here (the demo, tests); oidc-provider's default fetch refuses
    // special-use addresses (its SSRF guard), which is right for production and wrong for a development IdP.
    fetch: (input: string | URL | Request, init?: RequestInit) => {
      const { dispatcher: _guard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(input, rest);
    },
    // Pocket ID puts the claims of the granted scopes in the ID token itself.
    conformIdTokenClaims: false,
    loadExistingGrant: async (ctx) => {
      // Skip the consent screen: a demo user always consents to everything the client asks for.
      const grantId =
        ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? '');
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const accountId = ctx.oidc.session?.accountId;
      const clientId = ctx.oidc.client?.clientId;
      if (!accountId || !clientId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope(ctx.oidc.params?.scope?.toString() ?? 'openid');
      await grant.save();
      return grant;
    },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, ...(users[id] ?? { name: id }) }),
    }),
    ...opts.extra,
  });
  provider.proxy = false;

  // Callbacks live on random ports (and, in tests, on virtual hosts), so registered URIs cannot be exact.
  const allow = opts.allowRedirect ?? loopbackCallback;
  const allowPostLogout = opts.allowPostLogoutRedirect ?? loopbackLoggedOut;
  const Client = provider.Client as unknown as {
    prototype: {
      redirectUriAllowed(value: string): boolean;
      postLogoutRedirectUriAllowed(value: string): boolean;
    };
  };
  Client.prototype.redirectUriAllowed = (value: string) => URL.canParse(value) && allow(new URL(value));
  Client.prototype.postLogoutRedirectUriAllowed = (value: string) =>
    URL.canParse(value) && allowPostLogout(new URL(value));

  const callback = provider.callback();
  const federatedAuth: FederatedAuthEvent[] = [];
  if (federated.length === 0) server.on('request', callback);
  else {
    const verifier = new FederatedVerifier(federated, issuer);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.method !== 'POST' || new URL(req.url ?? '/', issuer).pathname !== TOKEN_PATH) {
        void callback(req, res);
        return;
      }
      federatedTokenRequest(req, res, verifier, internalSecrets, federatedAuth, callback).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`dev IdP token route failed: ${String(err)}`);
      });
    });
  }
  return {
    issuer,
    provider,
    server,
    federatedAuth,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
