import { deleteCookie } from '../http/cookies.js';
import { redirect } from '../http/responses.js';
import { isWellFormedToken } from '../sessions/tokens.js';
import type { SessionStore } from '../sessions/types.js';
import { type CoreDeps, cookieScope, isTruthy, type PortalRequest, portalUri, sessionCookieName } from './context.js';
import { deleteAllStateCookies } from './state-cookie.js';

export interface LogoutDeps extends CoreDeps {
  sessions: SessionStore;
}

/**
 * `POST P/logout`: deletes the session record, so the old cookie value stops working at once everywhere (within the
 * verify-cache TTL on other containers, immediately on this one), clears the cookies and goes back to the portal.
 * With `?everywhere=1` it deletes every session of the same user in this portal ("log out everywhere").
 */
export async function logoutRoute(deps: LogoutDeps, pr: PortalRequest): Promise<Response> {
  const name = sessionCookieName(deps, pr.portal);
  const token = pr.cookies[name];
  const setCookies: string[] = [];
  if (token !== undefined) {
    if (isWellFormedToken(token)) {
      const everywhere = isTruthy(pr.url.searchParams.get('everywhere'));
      const session = everywhere ? await deps.sessions.get(token, deps.now()) : undefined;
      if (session?.portal === pr.portal.name) {
        const n = await deps.sessions.revokeAllForUser(pr.portal.name, session.profile.id);
        pr.log.info('User logged out everywhere', { portal: pr.portal.name, user: session.profile.id, sessions: n });
      }
      await deps.sessions.revoke(token);
    }
    setCookies.push(deleteCookie(name, cookieScope(deps, pr.host.cookieDomain)));
  }
  setCookies.push(...deleteAllStateCookies(deps, pr));
  return redirect(303, `${portalUri(deps, pr)}?logout=1`, "You've been logged out. Redirecting to portal", setCookies);
}
