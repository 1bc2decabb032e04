import { fillPath, ROUTES } from '../config/routes.js';
import type { ProviderConfig } from '../config/types.js';
import { safeEqual } from '../crypto.js';
import { redirect } from '../http/responses.js';
import { type CoreDeps, isTruthy, type PortalRequest, portalUri } from './context.js';
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
    logoutBanner: boolean,
  ) => Response;
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
export function signinRoute(deps: SigninDeps, pr: PortalRequest): Response {
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
  const logout = isTruthy(pr.url.searchParams.get('logout'));
  const buttons = pr.portal.providers.map((provider) => ({
    provider,
    href: `${base}${fillPath(ROUTES.providers.suffix, { provider: provider.name })}?${query}`,
  }));
  const only = buttons.length === 1 ? buttons[0] : undefined;
  if (only && !pr.portal.alwaysShowProvidersPage && !logout)
    return redirect(303, only.href, `Redirecting to provider ${only.provider.displayName}`, setCookies);
  const page = deps.signinPage(pr, buttons, logout);
  for (const c of setCookies) page.headers.append('Set-Cookie', c);
  return page;
}
