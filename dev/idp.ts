import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

/**
 * A development OpenID provider (the `oidc-provider` package) that serves Pocket ID's paths: `/authorize`,
 * `/api/oidc/token`, `/api/oidc/userinfo`, `/.well-known/jwks.json`, issuer = its base URL. It puts every claim in
 * the ID token, as Pocket ID does, and accepts any login name with any password (devInteractions).
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

const loopbackCallback = (u: URL) =>
  /^(127\.\d+\.\d+\.\d+|localhost|.+\.localhost|\[::1\])$/.test(u.hostname) && u.pathname.endsWith('/oauth2/callback');

export interface DevIdpOptions {
  host?: string;
  port?: number;
  clients: IdpClient[];
  users?: Record<string, DemoUser>;
  /** Require PKCE from every client (Pocket ID requires it for public clients only). @default false */
  requirePkce?: boolean;
  /** Which redirect_uri values are accepted. @default loopback and `*.localhost` hosts, path ending in /oauth2/callback */
  allowRedirect?: (url: URL) => boolean;
  /** Provider configuration overrides (tests use this for federated client assertions, TLS...). */
  extra?: Partial<Configuration>;
}

export interface DevIdp {
  /** Issuer URL, no trailing slash (Pocket ID's `endpoint`). */
  issuer: string;
  provider: Provider;
  server: Server;
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

/** Starts the development OpenID provider on loopback. */
export async function startDevIdp(opts: DevIdpOptions): Promise<DevIdp> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host}:${port}`;
  const users = opts.users ?? DEMO_USERS;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'dev', use: 'sig', alg: 'RS256' };

  const provider = new Provider(issuer, {
    clients: opts.clients.map((c) => ({
      client_id: c.clientId,
      ...(c.clientSecret ? { client_secret: c.clientSecret } : {}),
      token_endpoint_auth_method: c.clientAuth ?? 'client_secret_post',
      // Any loopback or demo callback is accepted (see redirectUriAllowed below); one must be registered.
      redirect_uris: ['http://localhost/oauth2/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      ...c.metadata,
    })),
    routes: {
      authorization: '/authorize',
      token: '/api/oidc/token',
      userinfo: '/api/oidc/userinfo',
      jwks: '/.well-known/jwks.json',
    },
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => opts.requirePkce ?? false },
    features: { devInteractions: { enabled: true } },
    scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'nickname', 'preferred_username', 'picture', 'locale', 'zoneinfo'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
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
  const Client = provider.Client as unknown as { prototype: { redirectUriAllowed(value: string): boolean } };
  Client.prototype.redirectUriAllowed = (value: string) => URL.canParse(value) && allow(new URL(value));

  server.on('request', provider.callback());
  return {
    issuer,
    provider,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
