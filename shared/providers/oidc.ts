import { AsyncLocalStorage } from 'node:async_hooks';
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, customFetch as joseFetch, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { isLoopbackHost } from '../config/names.js';
import type { OIDCFamilyConfig, OIDCProviderConfig } from '../config/types.js';
import { type Profile, profileFromClaims } from '../profile.js';
import type { SecretResolver } from '../secrets/resolver.js';
import type { AuthorizationRequest, CodeExchange, OAuthProvider, Refreshed, SignIn } from './provider.js';
import { ProviderError } from './provider.js';
import { createProviderFetch } from './tls.js';

/** Produces the `client_assertion` JWT for a provider configured with `clientAssertion`. */
export type AssertionGetter = () => Promise<string>;

export interface ProviderDeps {
  secrets: SecretResolver;
  /** Present when the provider uses a client assertion instead of a secret. */
  assertion?: AssertionGetter;
  /**
   * Replaces the network for the provider's back-channel calls (discovery, token, userinfo, JWKS, GraphQL). Never set
   * from the config: tests route the fixed public endpoints of Google, Entra ID and GitHub to loopback fakes with it.
   * @default the fetch built from the provider's TLS options, else `globalThis.fetch`
   */
  fetch?: typeof fetch;
}

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** The checked claims of a back-channel logout token. */
export interface LogoutToken {
  issuer: string;
  jti: string;
  sid?: string;
  sub?: string;
  iat: number;
  exp?: JWTPayload['exp'];
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * The token endpoint's JSON, captured per exchange (AsyncLocalStorage keeps concurrent logins apart). openid-client
 * requires an ID token whenever a nonce is expected; upstream accepts a response without one and reads userinfo
 * instead, so when the grant fails for that reason alone we fall back the same way.
 */
const tokenCapture = new AsyncLocalStorage<{ body?: Record<string, unknown> }>();

/**
 * Pocket ID and generic OpenID Connect, both through openid-client. Pocket ID uses its fixed endpoint paths under
 * `endpoint` (no discovery, issuer = endpoint); generic OIDC discovers `tokenIssuer` once and memoises it.
 * The client secret or assertion is fetched only when a code is exchanged, so the login function never needs it.
 * Google and Entra ID are subclasses: they supply their own server metadata and claim mapping.
 */
export class OIDCProvider implements OAuthProvider {
  private configuration?: Promise<client.Configuration>;
  private jwks?: JWTVerifyGetKey;
  private fetchFn?: typeof fetch;
  /**
   * Whether a token response without an ID token may fall back to the userinfo endpoint, as upstream does. Off where
   * the ID token carries checks userinfo cannot (Entra ID's tenant).
   */
  protected readonly userinfoFallback: boolean = true;

  constructor(
    readonly config: OIDCProviderConfig,
    protected readonly deps: ProviderDeps,
  ) {}

  async authorizationUrl(req: AuthorizationRequest): Promise<URL> {
    const cfg = await this.getConfiguration();
    const params: Record<string, string> = {
      redirect_uri: req.redirectUri,
      scope: this.config.scopes.join(' '),
      state: req.state,
      nonce: req.nonce,
    };
    if (req.prompt) params.prompt = req.prompt;
    if (req.codeVerifier) {
      params.code_challenge = await client.calculatePKCECodeChallenge(req.codeVerifier);
      params.code_challenge_method = 'S256';
    }
    return client.buildAuthorizationUrl(cfg, params);
  }

  async exchange(req: CodeExchange): Promise<Profile> {
    return (await this.signIn(req)).profile;
  }

  async signIn(req: CodeExchange): Promise<SignIn> {
    const cfg = await this.getConfiguration();
    const captured: { body?: Record<string, unknown> } = {};
    let idClaims: Record<string, unknown> | undefined;
    let accessToken: string;
    let idToken: string | undefined;
    let refreshToken: string | undefined;
    try {
      const tokens = await tokenCapture.run(captured, () =>
        client.authorizationCodeGrant(cfg, req.callbackUrl, {
          expectedState: req.expectedState,
          expectedNonce: req.nonce,
          pkceCodeVerifier: req.codeVerifier,
        }),
      );
      idClaims = tokens.claims() as Record<string, unknown> | undefined;
      accessToken = tokens.access_token;
      idToken = tokens.id_token;
      refreshToken = tokens.refresh_token;
    } catch (err) {
      // No ID token at all (upstream's userinfo path): the state was checked and PKCE bound the code; only the
      // nonce check is impossible, because nothing carries it.
      const body = captured.body;
      if (!this.userinfoFallback || !body || body.id_token !== undefined || typeof body.access_token !== 'string')
        throw new ProviderError(`code exchange with provider '${this.config.name}' failed: ${describe(err)}`, {
          cause: err,
        });
      accessToken = body.access_token;
      refreshToken = typeof body.refresh_token === 'string' ? body.refresh_token : undefined;
    }
    let profile: Profile;
    try {
      if (idClaims) profile = this.toProfile(idClaims);
      else {
        const info = await client.fetchUserInfo(cfg, accessToken, client.skipSubjectCheck);
        profile = this.toProfile(info as Record<string, unknown>);
      }
    } catch (err) {
      throw new ProviderError(`profile from provider '${this.config.name}' failed: ${describe(err)}`, { cause: err });
    }
    const sid = typeof idClaims?.sid === 'string' && idClaims.sid !== '' ? idClaims.sid : undefined;
    return { profile, idToken, refreshToken, sid };
  }

  /**
   * The refresh-token grant (re-validation). A new ID token is validated by openid-client and must name the same
   * user; its claims become the profile. Errors are thrown as openid-client raised them, for `exchangeFailure`.
   */
  async refresh(refreshToken: string): Promise<Refreshed> {
    const cfg = await this.getConfiguration();
    const tokens = await client.refreshTokenGrant(cfg, refreshToken);
    const claims = tokens.claims() as Record<string, unknown> | undefined;
    return {
      ...(claims ? { profile: this.toProfile(claims) } : {}),
      idToken: tokens.id_token,
      refreshToken: tokens.refresh_token ?? refreshToken,
    };
  }

  /**
   * Verifies a back-channel logout token (OpenID Connect Back-Channel Logout 1.0, section 2.6): signed with a key of
   * the provider's JWKS, `iss` = the issuer, `aud` contains the client id, `iat` and `jti` present, the
   * back-channel-logout event, `sid` and/or `sub`, and no `nonce`.
   * @throws Error (log-safe message) when any check fails
   */
  async verifyLogoutToken(token: string): Promise<LogoutToken> {
    const cfg = await this.getConfiguration();
    const meta = cfg.serverMetadata();
    if (!meta.jwks_uri) throw new ProviderError(`provider '${this.config.name}' has no jwks_uri`);
    if (!this.jwks) {
      const f = this.deps.fetch ?? createProviderFetch(this.config.tls) ?? fetch;
      this.jwks = createRemoteJWKSet(new URL(meta.jwks_uri), {
        [joseFetch]: (url: string, options: RequestInit) => f(url, options),
      } as Parameters<typeof createRemoteJWKSet>[1]);
    }
    const { payload } = await jwtVerify(token, this.jwks, {
      issuer: meta.issuer,
      audience: this.config.clientID,
      requiredClaims: ['iat', 'jti', 'events'],
      clockTolerance: 60,
    });
    const events = payload.events as Record<string, unknown> | undefined;
    if (typeof events !== 'object' || events === null || typeof events[BACKCHANNEL_EVENT] !== 'object')
      throw new Error('events claim without the back-channel logout event');
    if (payload.nonce !== undefined) throw new Error('a logout token must not carry a nonce');
    const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : undefined;
    const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    if (!sid && !sub) throw new Error('a logout token needs sid or sub');
    if (typeof payload.jti !== 'string') throw new Error('jti must be a string');
    return { issuer: meta.issuer, jti: payload.jti, sid, sub, exp: payload.exp, iat: payload.iat as number };
  }

  async endSessionEndpoint(): Promise<URL | undefined> {
    const endpoint = (await this.getConfiguration()).serverMetadata().end_session_endpoint;
    return endpoint ? new URL(endpoint) : undefined;
  }

  async check(): Promise<string> {
    const meta = (await this.getConfiguration()).serverMetadata();
    const get = (url: string) => fetchJson(this.baseFetch(), url, this.config.requestTimeout, this.config.name);
    const discoveryUrl = this.discoveryUrl(meta);
    const doc = await get(discoveryUrl);
    if (typeof doc.issuer !== 'string' || typeof doc.jwks_uri !== 'string')
      throw new ProviderError(`${discoveryUrl}: not a discovery document (no issuer or jwks_uri)`);
    if (!meta.jwks_uri) throw new ProviderError(`provider '${this.config.name}' has no JWKS URL`);
    const jwks = await get(meta.jwks_uri);
    const keys = Array.isArray(jwks.keys) ? jwks.keys.length : 0;
    if (keys === 0) throw new ProviderError(`${meta.jwks_uri}: the JWKS has no keys`);
    return `discovery ${discoveryUrl}, JWKS ${meta.jwks_uri} (${keys} ${keys === 1 ? 'key' : 'keys'})`;
  }

  /** Where the provider publishes its discovery document; Entra ID's is under the configured tenant. */
  protected discoveryUrl(meta: client.ServerMetadata): string {
    return `${meta.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  }

  /** The provider's network: the test override, else a fetch with its TLS options, else the global one. */
  private baseFetch(): typeof fetch {
    this.fetchFn ??= this.deps.fetch ?? createProviderFetch(this.config.tls) ?? fetch;
    return this.fetchFn;
  }

  /** Builds (once) the openid-client Configuration; a failed discovery is retried on the next call. */
  private getConfiguration(): Promise<client.Configuration> {
    if (!this.configuration) {
      this.configuration = this.buildConfiguration();
      this.configuration.catch(() => {
        this.configuration = undefined;
      });
    }
    return this.configuration;
  }

  private async buildConfiguration(): Promise<client.Configuration> {
    const c = this.config;
    const customFetch = capturingFetch(this.baseFetch());
    const cfg = await this.createConfiguration(clientAuthentication(c, this.deps), customFetch);
    cfg.timeout = c.requestTimeout / 1000;
    cfg[client.customFetch] = customFetch;
    // Verify the ID token's signature against the provider's JWKS, as upstream does. openid-client skips it by default
    // (TLS authenticates the token endpoint), but with tlsInsecureSkipVerify nothing would then authenticate the token.
    client.enableNonRepudiationChecks(cfg);
    return cfg;
  }

  /** The provider's server metadata: Pocket ID's fixed paths or generic OIDC discovery. Subclasses override it. */
  protected async createConfiguration(
    clientAuth: client.ClientAuth,
    customFetch: client.CustomFetch,
  ): Promise<client.Configuration> {
    const c = this.config;
    switch (c.type) {
      case 'pocketID': {
        const base = c.endpoint;
        const cfg = new client.Configuration(
          {
            issuer: base,
            authorization_endpoint: `${base}/authorize`,
            token_endpoint: `${base}/api/oidc/token`,
            userinfo_endpoint: `${base}/api/oidc/userinfo`,
            jwks_uri: `${base}/.well-known/jwks.json`,
            end_session_endpoint: `${base}/api/oidc/end-session`,
          },
          c.clientID,
          undefined,
          clientAuth,
        );
        if (isLoopbackHttp(base)) client.allowInsecureRequests(cfg);
        return cfg;
      }
      case 'openIDConnect': {
        const insecure = isLoopbackHttp(c.tokenIssuer);
        const cfg = await discover(c, c.tokenIssuer, clientAuth, customFetch, insecure);
        if (insecure) client.allowInsecureRequests(cfg);
        return cfg;
      }
      default:
        throw new ProviderError(`provider type '${c.type}' needs its own provider class`);
    }
  }

  /** Maps verified ID-token (or userinfo) claims to the profile; subclasses add their provider's claims. */
  protected toProfile(claims: Record<string, unknown>): Profile {
    return profileFromClaims(claims, this.config.additionalClaims);
  }
}

/** Plain http is accepted only for loopback hosts (config validation enforces it; DESIGN §3.10). */
function isLoopbackHttp(value: string): boolean {
  const url = new URL(value);
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/** OIDC discovery at `issuer`, with the provider's timeout and fetch; failures name the provider and the issuer. */
export async function discover(
  c: OIDCFamilyConfig,
  issuer: string,
  clientAuth: client.ClientAuth,
  customFetch: client.CustomFetch,
  insecure = false,
): Promise<client.Configuration> {
  try {
    return await client.discovery(new URL(issuer), c.clientID, undefined, clientAuth, {
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout: c.requestTimeout / 1000,
      [client.customFetch]: customFetch,
    });
  } catch (err) {
    throw new ProviderError(`discovery of '${issuer}' for provider '${c.name}' failed: ${describe(err)}`, {
      cause: err,
    });
  }
}

/** GETs a JSON object within the provider's timeout. @throws ProviderError naming the URL and what went wrong */
export async function fetchJson(
  fetchFn: typeof fetch,
  url: string,
  timeoutMs: number,
  provider: string,
): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new ProviderError(`${url}: unreachable (${cause ?? describe(err)})`, { cause: err });
  }
  if (!res.ok) throw new ProviderError(`${url}: HTTP ${res.status}`);
  try {
    const body = (await res.json()) as unknown;
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new ProviderError(`${url}: not a JSON object (provider '${provider}')`);
}

/**
 * client_secret_post (never Basic, as upstream) or a JWT-bearer assertion; `client_id` is always in the body. The
 * secret or assertion is fetched only when a code is exchanged.
 */
export function clientAuthentication(c: OIDCFamilyConfig, deps: ProviderDeps): client.ClientAuth {
  const { secrets, assertion } = deps;
  const ref = c.clientSecret;
  return async (_as, cl, body) => {
    body.set('client_id', cl.client_id);
    if (assertion) {
      body.set('client_assertion_type', JWT_BEARER);
      body.set('client_assertion', await assertion());
      return;
    }
    if (!ref) throw new ProviderError(`provider '${c.name}' has no client credential`);
    body.set('client_secret', await secrets.resolve(ref));
  };
}

/** Wraps the provider's fetch to record token-endpoint JSON for the exchange in progress (see `tokenCapture`). */
function capturingFetch(inner: typeof fetch): client.CustomFetch {
  return async (url, options) => {
    const res = await inner(url, options as RequestInit);
    const store = tokenCapture.getStore();
    if (store && options.method === 'POST' && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        store.body = (await res.clone().json()) as Record<string, unknown>;
      } catch {
        // Not JSON after all: openid-client reports that itself.
      }
    }
    return res;
  };
}

/** A log-safe description of an openid-client / oauth4webapi error (codes and OAuth error fields only). */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { code?: string; error?: string; error_description?: string; status?: number };
  // oauth4webapi nests the failing claim's name one or two causes down.
  const inner = e.cause as { claim?: unknown; cause?: { claim?: unknown } } | undefined;
  const claim = inner?.claim ?? inner?.cause?.claim;
  const parts = [
    e.code,
    e.error,
    e.error_description,
    e.status ? `status ${e.status}` : undefined,
    typeof claim === 'string' ? `claim ${claim}` : undefined,
  ].filter(Boolean);
  const base = parts.length > 0 ? `${parts.join(': ')} (${e.message})` : e.message;
  // Network, TLS and assertion failures arrive under a generic wrapper ('fetch failed', openid-client's 'something
  // went wrong'): append the causes' messages too (assertion sources write log-safe ones), skipping repeats, e.g.
  // 'fetch failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate'.
  let text = base;
  for (let cur: unknown = e.cause, depth = 0; cur instanceof Error && depth < 10; cur = cur.cause, depth++) {
    if (text.includes(cur.message)) continue;
    const code = (cur as Error & { code?: unknown }).code;
    const prefix = typeof code === 'string' && !cur.message.includes(code) && !text.includes(code) ? `${code}: ` : '';
    text += `: ${prefix}${cur.message}`;
  }
  return text;
}
