import type { PortalConfig } from '../config/types.js';
import { badRequest, unauthorized } from '../http/errors.js';
import { matchHost } from '../http/hosts.js';
import { jsonResponse } from '../http/responses.js';
import { renewalState } from '../sessions/renewal.js';
import { isWellFormedToken } from '../sessions/tokens.js';
import type { SessionReader } from '../sessions/types.js';
import { profileClaims } from './claims.js';
import { type CoreDeps, findProvider } from './context.js';

export interface ApiVerifyDeps extends CoreDeps {
  sessions: SessionReader;
}

/**
 * `GET /api/portals/{portal}/verify`: validates a session token passed as a bearer token (the `Bearer ` prefix is
 * optional and case-insensitive; cookies are ignored) and returns its claims, for machine clients.
 */
export async function apiVerifyRoute(deps: ApiVerifyDeps, req: Request, portal: PortalConfig): Promise<Response> {
  const host =
    req.headers.get('x-forwarded-host')?.split(',')[0]?.trim() || req.headers.get('host') || new URL(req.url).host;
  const match = matchHost(deps.config, host);
  if (!match) throw badRequest('Request host is not associated with this auth server');

  const token = (req.headers.get('authorization') ?? '').replace(/^bearer\s+/i, '').trim();
  if (!token) throw unauthorized('Not authenticated');
  const now = deps.now();
  const session = isWellFormedToken(token) ? await deps.sessions.get(token, now) : undefined;
  // A session past its re-validation deadline (`revalidateInterval`) is not valid until a browser renews it.
  if (
    !session ||
    session.portal !== portal.name ||
    !findProvider(portal, session.provider) ||
    renewalState(session, now) === 'required'
  )
    throw unauthorized('Access token is invalid');

  const audience =
    deps.config.tokens.sessionTokenAudience ?? `${match.cookieDomain || host}${deps.config.server.basePath}`;
  const claims = {
    iss: `tfa-serverless:${audience}:${portal.name}`,
    aud: [audience],
    sub: session.profile.id,
    iat: Math.floor(session.createdAt / 1000),
    nbf: Math.floor(session.createdAt / 1000),
    exp: Math.floor(session.expiresAt / 1000),
    tf_provider: session.provider,
    ...profileClaims(session.profile),
  };
  return jsonResponse(200, { valid: true, portal: portal.name, provider: session.provider, claims });
}
