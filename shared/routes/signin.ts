import { fillPath, ROUTES } from '../config/routes.js';
import type { ProviderConfig } from '../config/types.js';
import { safeEqual } from '../crypto.js';
import { type CoreDeps, isTruthy, type PortalRequest, portalUri, redirect } from './context.js';
import {
  decodeStateCookie,
  deleteAllStateCookies,
  type StateCookie,
  signinState,
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

/** Splits `state=<cookie id>~<nonce>` and finds the matching state cookie; undefined when anything is off. */
export function readSigninState(
  pr: PortalRequest,
  state: string | null,
): { id: string; cookie: StateCookie } | undefined {
  if (!state) return undefined;
  const parsed = signinState.decode(state);
  if (!parsed) return undefined;
  const cookie = decodeStateCookie(pr.cookies[stateCookieName(pr.portal.name, parsed.cookieId)]);
  if (!cookie || !safeEqual(cookie.nonce, parsed.nonce)) return undefined;
  return { id: parsed.cookieId, cookie };
}

/**
 * `GET P/signin?state=…`: the provider chooser.
 * 1. The state must match a state cookie; otherwise clear them and start over at the portal (303).
 * 2. A single provider (and no chooser forced, no logout banner) → straight to it (303).
 * 3. Otherwise the chooser page, with the logout banner when `logout` is set.
 */
export function signinRoute(deps: SigninDeps, pr: PortalRequest): Response {
  const state = pr.url.searchParams.get('state');
  if (!readSigninState(pr, state)) {
    pr.log.debug('Sign-in state invalid or missing; restarting');
    return redirect(303, portalUri(deps, pr), 'Redirecting to portal', deleteAllStateCookies(deps, pr));
  }
  const base = portalUri(deps, pr);
  const logout = isTruthy(pr.url.searchParams.get('logout'));
  const buttons = pr.portal.providers.map((provider) => ({
    provider,
    href: `${base}${fillPath(ROUTES.providers.suffix, { provider: provider.name })}?state=${encodeURIComponent(state ?? '')}`,
  }));
  const only = buttons.length === 1 ? buttons[0] : undefined;
  if (only && !pr.portal.alwaysShowProvidersPage && !logout)
    return redirect(303, only.href, `Redirecting to provider ${only.provider.displayName}`);
  return deps.signinPage(pr, buttons, logout);
}
