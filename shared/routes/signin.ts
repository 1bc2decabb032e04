import { fillPath, ROUTES } from '../config/routes.js';
import type { ProviderConfig } from '../config/types.js';
import { safeEqual } from '../crypto.js';
import { HttpError } from '../http/errors.js';
import { redirect } from '../http/responses.js';
import type { LogoutBanner } from '../portal/pages.js';
import type { ProviderRegistry } from '../providers/provider.js';
import { type CoreDeps, findProvider, type PortalRequest, portalUri } from './context.js';
import { endSessionState, type LogoutNotice, logoutMessage, readLogoutNotice } from './logout-notice.js';
import {
  decodeStateCookie,
  deleteAllStateCookies,
  encodeReturnParam,
  issueStateCookie,
  isTopLevelNavigation,
  readReturnParam,
  type StateCookie,
  signinState,
  stateCookieId,
  stateCookieName,
} from './state-cookie.js';

export interface SigninDeps extends CoreDeps {
  /** Renders the provider chooser (200). */
  signinPage: (
    pr: PortalRequest,
    buttons: { provider: ProviderConfig; href: string }[],
    logout?: LogoutBanner,
  ) => Response;
  /** For the logged-out page's "Sign out of <provider> too" (the provider's end-session endpoint). */
  providers: ProviderRegistry;
}

/**
 * Splits `state=<cookie id>~<nonce>` and finds the matching state cookie, which must belong to `returnUrl`;
 * undefined when anything is off.
 */
export function readSigninState(
  pr: PortalRequest,
  state: string | null,
  returnUrl: string,
): { id: string; cookie: StateCookie } | undefined {
  if (!state) return undefined;
  const parsed = signinState.decode(state);
  if (!parsed || parsed.cookieId !== stateCookieId(returnUrl)) return undefined;
  const cookie = decodeStateCookie(pr.cookies[stateCookieName(pr.portal.name, parsed.cookieId)]);
  if (!cookie || !safeEqual(cookie.nonce, parsed.nonce)) return undefined;
  return { id: parsed.cookieId, cookie };
}

/**
 * `GET P/signin?[state=<id>~<nonce>&]return=<url>`: the provider chooser.
 * 1. The return URL is validated again (400 when it is not ours). Its state cookie must match `state`; without one, a
 *    top-level navigation gets it issued here (the 401 of an API client or of nginx carries no cookie, so this is
 *    where those logins start). Anything else: clear the state cookies and start over at the portal (303).
 * 2. A single provider (and no chooser forced, no logout banner) → straight to it (303).
 * 3. Otherwise the chooser page, with the logout banner when `logout` is set.
 */
export async function signinRoute(deps: SigninDeps, pr: PortalRequest): Promise<Response> {
  // A portal whose only provider is tailscaleWhois has no sign-in: its check answers from tailscaled directly.
  if (pr.portal.providers.length === 0)
    throw new HttpError(404, 'This portal has no sign-in page: open the app from a device on the tailnet');
  // 1. The return URL and its state cookie.
  const returnUrl = readReturnParam(deps, pr.url);
  let found = returnUrl === undefined ? undefined : readSigninState(pr, pr.url.searchParams.get('state'), returnUrl);
  let setCookies: string[] = [];
  if (!found && returnUrl !== undefined && isTopLevelNavigation(pr.req)) {
    const issued = issueStateCookie(deps, pr, returnUrl);
    found = issued;
    setCookies = issued.setCookies;
  }
  if (!found || returnUrl === undefined) {
    pr.log.debug('Sign-in state invalid or missing; restarting');
    return redirect(303, portalUri(deps, pr), 'Redirecting to portal', deleteAllStateCookies(deps, pr));
  }

  // 2./3. The providers; their links carry the state and the return URL on.
  const base = portalUri(deps, pr);
  const query = `state=${signinState.encode({ cookieId: found.id, nonce: found.cookie.nonce })}&return=${encodeReturnParam(returnUrl)}`;
  const notice = readLogoutNotice(pr);
  const buttons = pr.portal.providers.map((provider) => ({
    provider,
    href: `${base}${fillPath(ROUTES.providers.suffix, { provider: provider.name })}?${query}`,
  }));
  const only = buttons.length === 1 ? buttons[0] : undefined;
  if (only && !pr.portal.alwaysShowProvidersPage && !notice)
    return redirect(303, only.href, `Redirecting to provider ${only.provider.displayName}`, setCookies);
  const page = deps.signinPage(pr, buttons, notice && (await logoutBanner(deps, pr, notice)));
  for (const c of setCookies) page.headers.append('Set-Cookie', c);
  return page;
}
/**
 * The logged-out page's banner: what happened and, when the user may still be signed in at the provider (it has an
 * end-session endpoint and we did not go there), a link to sign out there too. The session and its ID token are
 * gone by now, so the link carries `client_id` and no `id_token_hint`: the provider asks the user to confirm.
 */
async function logoutBanner(deps: SigninDeps, pr: PortalRequest, notice: LogoutNotice): Promise<LogoutBanner> {
  const config = notice.provider ? findProvider(pr.portal, notice.provider) : undefined;
  const message = logoutMessage(notice, config?.displayName);
  if (!config || notice.atProvider) return { message };
  const endpoint = await endSessionEndpoint(deps, pr, config);
  if (!endpoint) return { message };
  const href = endSessionUrl(endpoint, {
    clientId: config.clientID,
    postLogoutRedirectUri: loggedOutUri(deps, pr),
    state: endSessionState({ ...notice, provider: config.name }),
  });
  return { message, offer: { providerDisplayName: config.displayName, href: href.href } };
}

/** `P/logged-out`: where providers send the browser back after signing out (register it at the provider). */
export function loggedOutUri(deps: CoreDeps, pr: PortalRequest): string {
  return `${portalUri(deps, pr)}${ROUTES.loggedOut.suffix}`;
}

/** The provider's end-session endpoint, or undefined (none, or discovery failed: logged, the page still renders). */
export async function endSessionEndpoint(
  deps: CoreDeps & { providers: ProviderRegistry },
  pr: PortalRequest,
  config: ProviderConfig,
): Promise<URL | undefined> {
  try {
    return await deps.providers.get(pr.portal.name, config.name)?.endSessionEndpoint();
  } catch (err) {
    pr.log.warn('Could not read the end-session endpoint of the provider', {
      provider: config.name,
      err: (err as Error).message,
    });
    return undefined;
  }
}

/** OpenID Connect RP-Initiated Logout 1.0: the end-session request as a URL (GET). */
export function endSessionUrl(
  endpoint: URL,
  p: { idTokenHint?: string; clientId: string; postLogoutRedirectUri: string; state: string },
): URL {
  const url = new URL(endpoint);
  if (p.idTokenHint) url.searchParams.set('id_token_hint', p.idTokenHint);
  url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('post_logout_redirect_uri', p.postLogoutRedirectUri);
  url.searchParams.set('state', p.state);
  return url;
}
