/**
 * The provider contract table: each provider kind the tests drive against a loopback fake of its real service
 * (test/helpers/fakes), with the client registered at the fake and the config entry that names it. Around it, the
 * steps every provider test took in its own copy: the validated config of a one-provider portal, a fake started with
 * the client registered, one login (authorize URL, consent, code exchange), and the real server signing in through
 * the fake.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Standalone } from '../../bin/standalone.js';
import { validateConfig } from '../../shared/config/load.js';
import type { ProviderConfig } from '../../shared/config/types.js';
import type { OAuthProvider } from '../../shared/providers/provider.js';
import { type FakeAuthorizationServer, routeNetwork } from './fakes/oauth-server.js';
import { startQuietServer } from './stack.js';

/** The callback URL every provider test registers (portal `main` on `auth.example.com`). */
export const REDIRECT = 'https://auth.example.com/portals/main/oauth2/callback';

/** The tenant of the Entra ID entry unless a test names another (ID tokens name tenants by GUID). */
export const ENTRA_TENANT = '11111111-2222-3333-4444-555555555555';

type Kind = 'google' | 'github' | 'microsoftEntraID';

interface ProviderKind {
  /** The client registered at the fake. */
  client: { id: string; secret: string };
  /** The provider's config entry with that client; `over` adds or replaces keys (`undefined` removes one). */
  entry(over?: Record<string, unknown>): Record<string, unknown>;
}

export const PROVIDER_KINDS: Readonly<Record<Kind, ProviderKind>> = {
  google: kind('google', { id: 'cid.apps.googleusercontent.com', secret: 'google-secret-0123456789' }),
  github: kind('github', { id: 'Iv1.0123456789abcdef', secret: 'github-secret-0123456789abcdef' }),
  microsoftEntraID: kind(
    'microsoftEntraID',
    { id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', secret: 'entra-secret-0123456789' },
    { tenantID: ENTRA_TENANT },
  ),
};

function kind(type: Kind, client: ProviderKind['client'], required: Record<string, unknown> = {}): ProviderKind {
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
