/**
 * The provider contract table: each provider kind the tests drive against a loopback fake of its real service
 * (test/helpers/fakes), with the client registered at the fake, the config entry that names it, how to build the
 * provider and who signs in. test/integration/provider-contract.test.ts runs the promises every kind shares over it;
 * the providers-*.test.ts files use it for their setup. Around it, the steps every provider test took in its own
 * copy: the validated config of a one-provider portal, a fake started with the client registered, one login
 * (authorize URL, consent, code exchange), and the real server signing in through the fake.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Standalone } from '../../bin/standalone.js';
import { validateConfig } from '../../shared/config/load.js';
import type { ProviderConfig } from '../../shared/config/types.js';
import { GitHubProvider } from '../../shared/providers/github.js';
import { GoogleProvider } from '../../shared/providers/google.js';
import { MicrosoftEntraIDProvider } from '../../shared/providers/microsoft-entra-id.js';
import type { ProviderDeps } from '../../shared/providers/oidc.js';
import type { OAuthProvider } from '../../shared/providers/provider.js';
import { FakeEntraLogin } from './fakes/entra-login.js';
import { FakeGitHub } from './fakes/github.js';
import { FakeGoogle } from './fakes/google.js';
import { type FakeAuthorizationServer, routeNetwork } from './fakes/oauth-server.js';
import { startQuietServer } from './stack.js';

/** The callback URL every provider test registers (portal `main` on `auth.example.com`). */
export const REDIRECT = 'https://auth.example.com/portals/main/oauth2/callback';

/** The tenant of the Entra ID entry unless a test names another (ID tokens name tenants by GUID). */
export const ENTRA_TENANT = '11111111-2222-3333-4444-555555555555';

export type Kind = 'google' | 'github' | 'microsoftEntraID';

export interface ProviderKind {
  /** The client registered at the fake. */
  client: { id: string; secret: string };
  /** The provider's config entry with that client; `over` adds or replaces keys (`undefined` removes one). */
  entry(over?: Record<string, unknown>): Record<string, unknown>;
  /** A loopback fake of the provider's service, not started. */
  fake(): FakeAuthorizationServer;
  /** The provider of this kind for the entry with `over`, built with `deps`. */
  create(deps: ProviderDeps, over?: Record<string, unknown>): OAuthProvider;
  /** Who consents at the fake, and the user id the provider makes of them. */
  user: Record<string, unknown>;
  userId: string;
}

export const PROVIDER_KINDS: Readonly<Record<Kind, ProviderKind>> = {
  google: {
    ...clientEntry('google', { id: 'cid.apps.googleusercontent.com', secret: 'google-secret-0123456789' }),
    fake: () => new FakeGoogle(),
    create: (deps, over) => new GoogleProvider(providerConfig('google', over), deps),
    user: { sub: 'google-sub-1', email: 'user@example.com', email_verified: true },
    userId: 'google-sub-1',
  },
  github: {
    ...clientEntry('github', { id: 'Iv1.0123456789abcdef', secret: 'github-secret-0123456789abcdef' }),
    fake: () => new FakeGitHub(),
    create: (deps, over) => new GitHubProvider(providerConfig('github', over), deps),
    // The fake's GraphQL viewer signs in, whatever the consent says.
    user: {},
    userId: 'octocat',
  },
  microsoftEntraID: {
    ...clientEntry(
      'microsoftEntraID',
      { id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', secret: 'entra-secret-0123456789' },
      { tenantID: ENTRA_TENANT },
    ),
    fake: () => new FakeEntraLogin(),
    create: (deps, over) => new MicrosoftEntraIDProvider(providerConfig('microsoftEntraID', over), deps),
    user: { sub: 'entra-sub-1', oid: 'entra-oid-1' },
    userId: 'entra-oid-1',
  },
};

function clientEntry(
  type: Kind,
  client: ProviderKind['client'],
  required: Record<string, unknown> = {},
): Pick<ProviderKind, 'client' | 'entry'> {
  return {
    client,
    entry: (over = {}) => ({ [type]: { ...required, clientID: client.id, clientSecret: client.secret, ...over } }),
  };
}

/** The validated config of the one provider of portal `main`, whose entry is `PROVIDER_KINDS[type].entry(over)`. */
export function providerConfig<T extends Kind>(
  type: T,
  over: Record<string, unknown> = {},
): Extract<ProviderConfig, { type: T }> {
  const { config } = validateConfig({ portals: [{ name: 'main', providers: [PROVIDER_KINDS[type].entry(over)] }] });
  const provider = config.portals[0]?.providers[0];
  if (provider?.type !== type) throw new Error(`no ${type} provider`);
  return provider as Extract<ProviderConfig, { type: T }>;
}

/** Starts `fake` with the client of `type` registered. */
export async function startFake(fake: FakeAuthorizationServer, type: Kind): Promise<void> {
  await fake.start();
  const { client } = PROVIDER_KINDS[type];
  fake.clients.set(client.id, client.secret);
}

/**
 * One login as the browser would run it: the authorize URL (state `<provider>~c~<random>`, a fresh nonce and PKCE
 * verifier), consent at the fake as `user`, then the code exchange.
 */
export async function loginAt(provider: OAuthProvider, fake: FakeAuthorizationServer, user?: Record<string, unknown>) {
  const state = `${provider.config.name}~c~${randomUUID()}`;
  const nonce = randomUUID();
  const codeVerifier = randomBytes(32).toString('base64url');
  const authorize = await provider.authorizationUrl({ redirectUri: REDIRECT, state, nonce, codeVerifier });
  const callbackUrl = fake.approve(authorize, user);
  return provider.exchange({ callbackUrl, expectedState: state, nonce, codeVerifier });
}

/**
 * The real server (portal `main` on `auth.example.com`, the one provider of `type`) with its provider calls routed to
 * `fake`, which is started with the client registered. `portal` adds portal keys, `provider` entry keys.
 */
export async function startServerAgainst(
  fake: FakeAuthorizationServer,
  type: Kind,
  extra: { portal?: Record<string, unknown>; provider?: Record<string, unknown> } = {},
): Promise<Standalone> {
  await startFake(fake, type);
  return startQuietServer(
    {
      server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
      portals: [{ name: 'main', ...extra.portal, providers: [PROVIDER_KINDS[type].entry(extra.provider)] }],
    },
    routeNetwork(fake.routes()).fetch,
  );
}
