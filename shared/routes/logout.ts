import { deleteCookie } from '../http/cookies.js';
import { redirect } from '../http/responses.js';
import type { ProviderRegistry } from '../providers/provider.js';
import { isWellFormedToken } from '../sessions/tokens.js';
import { type Session, type SessionStore, userOf } from '../sessions/types.js';
import { unseal } from '../sessions/vault.js';
import {
  assertSameOrigin,
  type CoreDeps,
  cookieScope,
  findProvider,
  isTruthy,
  type PortalRequest,
  portalUri,
  sessionCookieName,
} from './context.js';
import { endSessionState, type LogoutNotice, logoutQuery, readEndSessionState } from './logout-notice.js';
import { endSessionEndpoint, endSessionUrl, loggedOutUri } from './signin.js';
import { deleteAllStateCookies } from './state-cookie.js';

export interface LogoutDeps extends CoreDeps {
  sessions: SessionStore;
  /** For `logoutAtProvider`: the provider's end-session endpoint. */
  providers: ProviderRegistry;
}

/**
 * `POST P/logout`: deletes the session record, so the old cookie value stops working at once everywhere (within the
 * verify-cache TTL on other containers, immediately on this one), clears the cookies and goes to the logged-out page
 * (`P?logout=1…`, which says what happened). With `?everywhere=1` it deletes every session of the same user in this
 * portal ("log out everywhere"). When the session's provider has `logoutAtProvider`, the 303 goes to the provider's
 * end-session endpoint instead (RP-initiated logout, with the ID token kept sealed in the session as
 * `id_token_hint`), which sends the browser back to `P/logged-out`. Only from our own pages ({@link assertSameOrigin}:
 * 403 otherwise).
 */
export async function logoutRoute(deps: LogoutDeps, pr: PortalRequest): Promise<Response> {
  // A page on a sibling sub-domain could otherwise log the user out (everywhere) with a self-submitting form.
  assertSameOrigin(deps, pr);
  const name = sessionCookieName(deps, pr.portal);
  const token = pr.cookies[name];
  const setCookies: string[] = [];
  let session: Session | undefined;
  const notice: LogoutNotice = {};
  if (token !== undefined) {
    if (isWellFormedToken(token)) {
      session = await deps.sessions.get(token, deps.now());
      if (session?.portal !== pr.portal.name) session = undefined;
      if (session && isTruthy(pr.url.searchParams.get('everywhere'))) {
        const n = await deps.sessions.revokeAllForUser(userOf(session));
        notice.everywhere = n;
        pr.log.info('User logged out everywhere', {
          portal: pr.portal.name,
          provider: session.provider,
          user: session.profile.id,
          sessions: n,
        });
      }
      await deps.sessions.revoke(token);
    }
    setCookies.push(deleteCookie(name, cookieScope(deps, pr.host.cookieDomain)));
  }
  setCookies.push(...deleteAllStateCookies(deps, pr));

  const provider = session && findProvider(pr.portal, session.provider);
  notice.provider = provider?.name;
  if (session && token && provider?.logoutAtProvider) {
    const endpoint = await endSessionEndpoint(deps, pr, provider);
    if (endpoint) {
      const url = endSessionUrl(endpoint, {
        idTokenHint: unseal(token, session.sealed)?.idToken,
        clientId: provider.clientID,
        postLogoutRedirectUri: loggedOutUri(deps, pr),
        state: endSessionState({ ...notice, provider: provider.name }),
      });
      pr.log.info('Signing the user out at the provider too', { portal: pr.portal.name, provider: provider.name });
      return redirect(
        303,
        url.href,
        "You've been logged out. Redirecting to the provider to sign out there",
        setCookies,
      );
    }
  }
  return redirect(
    303,
    `${portalUri(deps, pr)}?${logoutQuery(notice)}`,
    "You've been logged out. Redirecting to portal",
    setCookies,
  );
}

/**
 * `GET P/logged-out?state=…`: where the provider sends the browser back after RP-initiated logout (the
 * `post_logout_redirect_uri` to register). 303 to the logged-out page saying the user is signed out there too; a
 * missing or unknown `state` still lands on the logged-out page, with the plain message.
 */
export function loggedOutRoute(deps: CoreDeps, pr: PortalRequest): Response {
  const notice = readEndSessionState(pr, pr.url.searchParams.get('state')) ?? {};
  return redirect(303, `${portalUri(deps, pr)}?${logoutQuery(notice)}`, 'Signed out. Redirecting to portal');
}
