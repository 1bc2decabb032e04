import * as client from 'openid-client';
import type { GitHubConfig } from '../config/types.js';
import type { Profile } from '../profile.js';
import { clientAuthentication, describe, fetchJson, type ProviderDeps } from './oidc.js';
import type { AuthorizationRequest, CodeExchange, OAuthProvider, SignIn } from './provider.js';
import { ProviderError } from './provider.js';

/** GitHub's endpoints, fixed as upstream has them. */
export const GITHUB_ENDPOINTS = {
  authorization: 'https://github.com/login/oauth/authorize',
  token: 'https://github.com/login/oauth/access_token',
  graphql: 'https://api.github.com/graphql',
  /** The API root, a public JSON index: what `--check` fetches. */
  api: 'https://api.github.com/',
} as const;

/** The node ID of the account (`viewer.id`), kept because logins can be renamed and node IDs cannot. */
export const GITHUB_USER_ID_CLAIM = 'github_userid';

const VIEWER_QUERY = JSON.stringify({ query: 'query { viewer { id login avatarUrl name } }' });

interface Viewer {
  id?: unknown;
  login?: unknown;
  avatarUrl?: unknown;
  name?: unknown;
}

/**
 * GitHub: plain OAuth 2.0 through openid-client's generic grant (there is no ID token, so no nonce) and the profile
 * from the GraphQL API, as upstream: ID = login, full name = name or login, nickname = login, picture = avatar URL,
 * `github_userid` = node ID. Unlike upstream, the PKCE S256 challenge is sent (GitHub accepts it since July 2025):
 * without an ID token it is what binds the code to this login.
 */
export class GitHubProvider implements OAuthProvider {
  private readonly configuration: client.Configuration;
  private readonly fetch: typeof fetch;

  constructor(
    readonly config: GitHubConfig,
    deps: ProviderDeps,
  ) {
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.configuration = new client.Configuration(
      {
        // openid-client needs an issuer; GitHub issues no token that would carry one.
        issuer: 'https://github.com',
        authorization_endpoint: GITHUB_ENDPOINTS.authorization,
        token_endpoint: GITHUB_ENDPOINTS.token,
      },
      config.clientID,
      undefined,
      clientAuthentication(config, deps),
    );
    this.configuration.timeout = config.requestTimeout / 1000;
    this.configuration[client.customFetch] = (url, options) => this.tokenEndpointFetch(url, options);
  }

  async authorizationUrl(req: AuthorizationRequest): Promise<URL> {
    const params: Record<string, string> = {
      redirect_uri: req.redirectUri,
      scope: this.config.scopes.join(' '),
      state: req.state,
    };
    if (req.codeVerifier) {
      params.code_challenge = await client.calculatePKCECodeChallenge(req.codeVerifier);
      params.code_challenge_method = 'S256';
    }
    return client.buildAuthorizationUrl(this.configuration, params);
  }

  /** GitHub has no discovery document or JWKS (plain OAuth 2.0): the check is that its API answers. */
  async check(): Promise<string> {
    await fetchJson(this.fetch, GITHUB_ENDPOINTS.api, this.config.requestTimeout, this.config.name);
    return `${GITHUB_ENDPOINTS.api} answers (plain OAuth 2.0: no discovery document or JWKS)`;
  }

  async signIn(req: CodeExchange): Promise<SignIn> {
    return { profile: await this.exchange(req) };
  }

  /** GitHub is not an OpenID provider: no RP-initiated logout. */
  async endSessionEndpoint(): Promise<URL | undefined> {
    return undefined;
  }

  async exchange(req: CodeExchange): Promise<Profile> {
    let accessToken: string;
    try {
      const tokens = await client.authorizationCodeGrant(this.configuration, req.callbackUrl, {
        expectedState: req.expectedState,
        pkceCodeVerifier: req.codeVerifier,
      });
      accessToken = tokens.access_token;
    } catch (err) {
      throw new ProviderError(`code exchange with provider '${this.config.name}' failed: ${describe(err)}`, {
        cause: err,
      });
    }
    try {
      return await this.viewerProfile(accessToken);
    } catch (err) {
      throw new ProviderError(`profile from provider '${this.config.name}' failed: ${describe(err)}`, { cause: err });
    }
  }

  /**
   * GitHub answers a failed code exchange with 200 and an OAuth error body; turned into the 400 RFC 6749 §5.2
   * prescribes so that openid-client reports the `error` code instead of a missing `access_token`.
   */
  private async tokenEndpointFetch(url: string, options: client.CustomFetchOptions): Promise<Response> {
    const res = await this.fetch(url, options as RequestInit);
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').includes('json')) return res;
    const text = await res.text();
    let error: unknown;
    try {
      error = (JSON.parse(text) as { error?: unknown }).error;
    } catch {
      // Not JSON after all: openid-client reports that itself.
    }
    return new Response(text, {
      status: typeof error === 'string' ? 400 : 200,
      headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' },
    });
  }

  /** `viewer { id login avatarUrl name }` with `Authorization: token <at>` and upstream's `User-Agent`. */
  private async viewerProfile(accessToken: string): Promise<Profile> {
    const res = await this.fetch(GITHUB_ENDPOINTS.graphql, {
      method: 'POST',
      headers: {
        Authorization: `token ${accessToken}`,
        'User-Agent': 'tfa/1',
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: VIEWER_QUERY,
      signal: AbortSignal.timeout(this.config.requestTimeout),
    });
    if (res.status !== 200) throw new Error(`GraphQL response status is ${res.status}`);
    const body = (await res.json()) as { data?: { viewer?: Viewer } | null; errors?: { message?: unknown }[] };
    const viewer = body.data?.viewer;
    const id = typeof viewer?.id === 'string' ? viewer.id : '';
    const login = typeof viewer?.login === 'string' ? viewer.login : '';
    if (!id || !login) {
      const reason = body.errors?.map((e) => String(e.message)).join('; ');
      throw new Error(`GraphQL response lacks viewer id or login${reason ? `: ${reason}` : ''}`);
    }

    const profile: Profile = {
      id: login,
      name: { full: typeof viewer?.name === 'string' && viewer.name !== '' ? viewer.name : login, nickname: login },
      additionalClaims: { [GITHUB_USER_ID_CLAIM]: id },
    };
    if (typeof viewer?.avatarUrl === 'string' && viewer.avatarUrl !== '') profile.picture = viewer.avatarUrl;
    return profile;
  }
}
