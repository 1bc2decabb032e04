import { randomUUID } from 'node:crypto';
import { type FakeReply, jsonReply, type RecordedRequest } from './http-fake.js';
import { FakeAuthorizationServer, type OAuthErrorReply } from './oauth-server.js';

/** GitHub reports token errors with 200 and an OAuth error body. */
const githubError: OAuthErrorReply = (_status, error, description) =>
  jsonReply(200, { error, error_description: description, error_uri: 'https://docs.github.com/apps' });

/** The GraphQL `viewer` fields upstream reads. */
export interface GitHubViewer {
  id: string;
  login: string;
  avatarUrl: string;
  name: string | null;
}

/**
 * A loopback GitHub: `POST /login/oauth/access_token` (github.com; JSON only with `Accept: application/json`,
 * form-encoded otherwise, errors as 200) and `POST /graphql` (api.github.com; needs a `User-Agent` and an access
 * token, answers `viewer`).
 */
export class FakeGitHub extends FakeAuthorizationServer {
  readonly origins = ['https://github.com', 'https://api.github.com'];
  /** The account that signs in. */
  viewer: GitHubViewer = {
    id: '123',
    login: 'octocat',
    avatarUrl: 'https://avatars.githubusercontent.com/u/583231',
    name: 'The Octocat',
  };
  /** The `scope` the token response reports (GitHub lists granted scopes); undefined echoes the requested scope. */
  grantedScope: string | undefined;
  private readonly accessTokens = new Set<string>();

  override reset(): void {
    super.reset();
    this.grantedScope = undefined;
  }

  protected override isTokenRequest(req: RecordedRequest): boolean {
    return req.path === '/login/oauth/access_token';
  }

  protected handle(req: RecordedRequest): FakeReply {
    if (req.path === '/graphql') return this.graphql(req);
    // The API root's public index (what `--check` fetches).
    if (req.path === '/') return jsonReply(200, { current_user_url: 'https://api.github.com/user' });
    if (req.path !== '/login/oauth/access_token') return jsonReply(404, { message: 'Not Found' });

    const grant = this.redeem(req, githubError);
    if (!('clientId' in grant)) return grant;
    const token = { access_token: `gho_${randomUUID().replaceAll('-', '')}`, token_type: 'bearer' };
    this.accessTokens.add(token.access_token);
    const body = { ...token, scope: this.grantedScope ?? grant.scope };
    if ((req.headers.accept ?? '').includes('application/json')) return jsonReply(200, body);
    return {
      status: 200,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams(body).toString(),
    };
  }

  private graphql(req: RecordedRequest): FakeReply {
    if (req.method !== 'POST') return jsonReply(404, { message: 'Not Found' });
    if (!req.headers['user-agent'])
      return {
        status: 403,
        headers: { 'content-type': 'text/plain' },
        body: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.',
      };
    if (!this.accessTokens.has(FakeAuthorizationServer.accessToken(req) ?? ''))
      return jsonReply(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/graphql' });
    const query = (JSON.parse(req.body) as { query?: string }).query ?? '';
    if (!/viewer\s*{[^}]*\bid\b[^}]*\blogin\b/.test(query))
      return jsonReply(200, { errors: [{ message: `unexpected query: ${query}` }] });
    return jsonReply(200, { data: { viewer: this.viewer } });
  }
}
