import { randomUUID } from 'node:crypto';
import { type FakeReply, jsonReply, type RecordedRequest } from './http-fake.js';
import { FakeAuthorizationServer } from './oauth-server.js';

/**
 * A loopback Google: `POST /token` (oauth2.googleapis.com), `GET /oauth2/v3/certs` and `GET /oauth2/v1/userinfo`
 * (www.googleapis.com). Its ID tokens have Google's issuer and claims; `idTokenClaims` overrides them per test.
 */
export class FakeGoogle extends FakeAuthorizationServer {
  readonly origins = ['https://accounts.google.com', 'https://oauth2.googleapis.com', 'https://www.googleapis.com'];
  /** Claims merged over the standard ones in issued ID tokens (e.g. another `iss`). */
  idTokenClaims: Record<string, unknown> = {};
  /** Replaces the whole ID token (e.g. one signed by a stranger key); `null` sends none. */
  idToken: string | null | undefined;
  /** Access tokens issued, with the user each belongs to. */
  private readonly accessTokens = new Map<string, Record<string, unknown>>();

  override reset(): void {
    super.reset();
    this.idTokenClaims = {};
    this.idToken = undefined;
  }

  protected override isTokenRequest(req: RecordedRequest): boolean {
    return req.path === '/token';
  }

  protected async handle(req: RecordedRequest): Promise<FakeReply> {
    if (req.path === '/oauth2/v3/certs') return this.jwks();
    if (req.path === '/.well-known/openid-configuration')
      return jsonReply(200, {
        issuer: 'https://accounts.google.com',
        jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
      });
    if (req.path === '/oauth2/v1/userinfo') {
      const user = this.accessTokens.get(FakeAuthorizationServer.accessToken(req) ?? '');
      if (!user) return jsonReply(401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
      return jsonReply(200, { id: user.sub, email: user.email, verified_email: user.email_verified, hd: user.hd });
    }
    if (req.path !== '/token') return jsonReply(404, { error: 'not_found' });

    const grant = this.redeem(req);
    if (!('clientId' in grant)) return grant;
    const accessToken = `ya29.${randomUUID()}`;
    this.accessTokens.set(accessToken, grant.user);
    const idToken =
      this.idToken === undefined
        ? await this.signIdToken({
            iss: 'https://accounts.google.com',
            azp: grant.clientId,
            aud: grant.clientId,
            nonce: grant.nonce,
            ...grant.user,
            ...this.idTokenClaims,
          })
        : this.idToken;
    return jsonReply(200, {
      access_token: accessToken,
      expires_in: 3599,
      scope: grant.scope,
      token_type: 'Bearer',
      ...(idToken === null ? {} : { id_token: idToken }),
    });
  }
}
