import type { ProviderConfig } from '../config/types.js';
import { deleteCookie } from '../http/cookies.js';
import { isWellFormedToken } from '../sessions/tokens.js';
import type { Session, SessionReader } from '../sessions/types.js';
import { type CoreDeps, cookieScope, findProvider, type PortalRequest, sessionCookieName } from './context.js';

export interface SessionLookup {
  session?: Session;
  provider?: ProviderConfig;
  /** Set-Cookie values clearing a session cookie that is malformed, unknown, revoked or expired. */
  clear: string[];
}

/**
 * The portal session of a request. A session only counts for the portal it was created in and while its provider
 * is still configured there; anything else clears the cookie (malformed ones are logged as suspicious).
 */
export async function currentSession(
  deps: CoreDeps & { sessions: SessionReader },
  pr: PortalRequest,
): Promise<SessionLookup> {
  const name = sessionCookieName(deps, pr.portal);
  const token = pr.cookies[name];
  if (token === undefined) return { clear: [] };
  if (isWellFormedToken(token)) {
    const session = await deps.sessions.get(token, deps.now());
    const provider = session?.portal === pr.portal.name ? findProvider(pr.portal, session.provider) : undefined;
    if (session && provider) return { session, provider, clear: [] };
  } else {
    pr.log.warn('Session cookie may be malformed or tampered with');
  }
  return { clear: [deleteCookie(name, cookieScope(deps, pr.host.cookieDomain))] };
}
