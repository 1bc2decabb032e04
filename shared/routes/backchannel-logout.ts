import { jsonResponse } from '../http/responses.js';
import type { OIDCProvider } from '../providers/oidc.js';
import type { ProviderRegistry } from '../providers/provider.js';
import type { BackchannelStore, SessionInventory } from '../sessions/types.js';
import type { CoreDeps, PortalRequest } from './context.js';

export interface BackchannelDeps extends CoreDeps {
  /** Revocations go through the verify cache where there is one (standalone), so this process stops at once. */
  sessions: SessionInventory;
  backchannel: BackchannelStore;
  providers: ProviderRegistry;
}

/** Logout tokens are small JWTs; anything bigger is not one. */
const MAX_BODY = 16 * 1024;
/** How long a `jti` is remembered when the token has no usable `exp`. */
const JTI_MEMORY_MS = 10 * 60_000;

/**
 * `POST P/oauth2/backchannel-logout` (OpenID Connect Back-Channel Logout 1.0): the provider tells us a user's session
 * with it ended. The `logout_token` must verify against one of the portal's providers (its JWKS, issuer, client id,
 * the logout event, `sid` and/or `sub`, no `nonce`); a replayed `jti` is refused. It revokes the sessions that provider
 * session (`sid`) signed in, or, when none was recorded, every session of `sub` at that provider in the portal.
 * 200 `{}` when done, 400 `{"error","error_description"}` otherwise, both `Cache-Control: no-store`.
 */
export async function backchannelLogoutRoute(deps: BackchannelDeps, pr: PortalRequest): Promise<Response> {
  const body = await pr.req.text();
  const token = body.length > MAX_BODY ? null : new URLSearchParams(body).get('logout_token');
  if (!token) return jsonResponse(400, { error: 'invalid_request', error_description: 'logout_token is required' });

  let verified: Awaited<ReturnType<OIDCProvider['verifyLogoutToken']>> | undefined;
  let providerName: string | undefined;
  const reasons: string[] = [];
  for (const p of pr.portal.providers) {
    const provider = deps.providers.get(pr.portal.name, p.name) as Partial<OIDCProvider> | undefined;
    if (!provider?.verifyLogoutToken) continue;
    try {
      verified = await provider.verifyLogoutToken(token);
      providerName = p.name;
      break;
    } catch (err) {
      reasons.push(`${p.name}: ${(err as Error).message}`);
    }
  }
  if (!verified || !providerName) {
    pr.log.warn('Back-channel logout token rejected', { portal: pr.portal.name, reasons: reasons.join('; ') });
    return jsonResponse(400, { error: 'invalid_request', error_description: 'The logout token is not valid' });
  }

  const now = deps.now();
  const expiresAt = Math.max(typeof verified.exp === 'number' ? verified.exp * 1000 : 0, now + JTI_MEMORY_MS);
  if (!(await deps.backchannel.claimOnce(verified.issuer, verified.jti, expiresAt, now))) {
    pr.log.warn('Back-channel logout token replayed', { portal: pr.portal.name, provider: providerName });
    return jsonResponse(400, { error: 'invalid_request', error_description: 'The logout token was already used' });
  }

  let keys = verified.sid ? await deps.backchannel.takeProviderSession(pr.portal.name, providerName, verified.sid) : [];
  let by = 'sid';
  if (keys.length === 0 && verified.sub) {
    by = 'sub';
    // The user index is per provider, so this lists only the sessions this provider issued to `sub`.
    const user = { portal: pr.portal.name, provider: providerName, userId: verified.sub };
    keys = (await deps.sessions.listForUser(user, now)).map((s) => s.key);
  }
  for (const key of keys) await deps.sessions.revokeByKey(key);
  pr.log.info('Back-channel logout', {
    portal: pr.portal.name,
    provider: providerName,
    user: verified.sub,
    by,
    sessions: keys.length,
  });
  return jsonResponse(200, {});
}
