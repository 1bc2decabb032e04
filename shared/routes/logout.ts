import { deleteCookie } from '../http/cookies.js';
import { isWellFormedToken } from '../sessions/tokens.js';
import type { SessionStore } from '../sessions/types.js';
import { type CoreDeps, cookieScope, type PortalRequest, portalUri, redirect, sessionCookieName } from './context.js';
import { deleteAllStateCookies } from './state-cookie.js';

export interface LogoutDeps extends CoreDeps {
  sessions: SessionStore;
}

/**
 * `POST P/logout`: deletes the session record, so the old cookie value stops working at once everywhere (within the
 * verify-cache TTL on other containers, immediately on this one), clears the cookies and goes back to the portal.
 */
export async function logoutRoute(deps: LogoutDeps, pr: PortalRequest): Promise<Response> {
  const name = sessionCookieName(deps, pr.portal);
  const token = pr.cookies[name];
  const setCookies: string[] = [];
  if (token !== undefined) {
    if (isWellFormedToken(token)) await deps.sessions.revoke(token);
    setCookies.push(deleteCookie(name, cookieScope(deps, pr.host.cookieDomain)));
  }
  setCookies.push(...deleteAllStateCookies(deps, pr));
  return redirect(303, `${portalUri(deps, pr)}?logout=1`, "You've been logged out. Redirecting to portal", setCookies);
}
