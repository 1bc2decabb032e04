import { randomUUID } from 'node:crypto';
import { type FakeReply, jsonReply, type RecordedRequest } from './http-fake.js';
import { FakeAuthorizationServer } from './oauth-server.js';

const LOGIN = 'https://login.microsoftonline.com';
/** The tenant of personal Microsoft accounts: the fixed issuer of the `consumers` authority. */
export const CONSUMERS_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

const TOKEN = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;
const KEYS = /^\/([^/]+)\/discovery\/v2\.0\/keys$/;
const DISCOVERY = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/;

/**
 * A loopback Microsoft Entra ID for user sign-in (the workload-identity client-credentials fake is `entra.ts`):
 * per-authority `/{tenant}/oauth2/v2.0/token`, `/{tenant}/discovery/v2.0/keys` and
 * `/{tenant}/v2.0/.well-known/openid-configuration` (login.microsoftonline.com), and Graph's `/oidc/userinfo`.
 * As the real one, a multi-tenant authority advertises the issuer template `…/{tenantid}/v2.0` and signs ID tokens
 * with the user's home-tenant issuer `…/{tid}/v2.0`.
 */
export class FakeEntraLogin extends FakeAuthorizationServer {
  readonly origins = [LOGIN, 'https://graph.microsoft.com'];
  /** Claims merged over the standard ones in issued ID tokens (e.g. an `iss` naming another tenant). */
  idTokenClaims: Record<string, unknown> = {};
  /** `false` sends a token response without an ID token. */
  sendIdToken = true;

  override reset(): void {
    super.reset();
    this.idTokenClaims = {};
    this.sendIdToken = true;
  }

  protected override isTokenRequest(req: RecordedRequest): boolean {
    return TOKEN.test(req.path);
  }

  protected async handle(req: RecordedRequest): Promise<FakeReply> {
    if (KEYS.test(req.path)) return this.jwks();
    const discovered = DISCOVERY.exec(req.path)?.[1];
    if (discovered !== undefined) return jsonReply(200, discoveryDocument(discovered));
    if (req.path === '/oidc/userinfo') return jsonReply(401, { error: { code: 'InvalidAuthenticationToken' } });
    const authority = TOKEN.exec(req.path)?.[1];
    if (authority === undefined) return jsonReply(404, { error: 'not_found' });

    const grant = this.redeem(req);
    if (!('clientId' in grant)) return grant;
    if (grant.authorizePath !== `/${authority}/oauth2/v2.0/authorize`)
      return jsonReply(400, { error: 'invalid_grant', error_description: 'AADSTS50148: code from another authority' });
    const tid = grant.user.tid ?? authority;
    const idToken = await this.signIdToken({
      iss: `${LOGIN}/${String(tid)}/v2.0`,
      aud: grant.clientId,
      nonce: grant.nonce,
      tid,
      // Entra's `sub` is pairwise (per application); always present.
      sub: `pairwise-${randomUUID()}`,
      ...grant.user,
      ...this.idTokenClaims,
    });
    return jsonReply(200, {
      token_type: 'Bearer',
      scope: grant.scope,
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: `eyJ0eXAiOiJKV1Qi.${randomUUID()}`,
      ...(this.sendIdToken ? { id_token: idToken } : {}),
    });
  }
}

/** What login.microsoftonline.com publishes for an authority. */
function discoveryDocument(authority: string): Record<string, unknown> {
  const issuer =
    authority === 'consumers'
      ? `${LOGIN}/${CONSUMERS_TENANT}/v2.0`
      : authority === 'common' || authority === 'organizations'
        ? `${LOGIN}/{tenantid}/v2.0`
        : `${LOGIN}/${authority}/v2.0`;
  return {
    issuer,
    authorization_endpoint: `${LOGIN}/${authority}/oauth2/v2.0/authorize`,
    token_endpoint: `${LOGIN}/${authority}/oauth2/v2.0/token`,
    jwks_uri: `${LOGIN}/${authority}/discovery/v2.0/keys`,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
  };
}
