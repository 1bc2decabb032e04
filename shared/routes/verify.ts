import type { ConditionCache } from '../conditions/conditions.js';
import { ROUTES } from '../config/routes.js';
import { randomId } from '../crypto.js';
import { cookiesWithout } from '../http/cookies.js';
import { badRequest, HttpError } from '../http/errors.js';
import { pathAndQuery } from '../http/forwarded.js';
import type { Session, SessionReader } from '../sessions/types.js';
import {
  type CoreDeps,
  isTruthy,
  type PortalRequest,
  portalUri,
  redirect,
  STATE_COOKIE_PREFIX,
  textResponse,
} from './context.js';
import { identityHeaders } from './identity-headers.js';
import { currentSession } from './session-lookup.js';
import {
  decodeStateCookie,
  pruneStateCookies,
  signinState,
  stateCookieId,
  stateCookieName,
  writeStateCookie,
} from './state-cookie.js';

export interface VerifyDeps extends CoreDeps {
  sessions: SessionReader;
  conditions: ConditionCache;
  /** Renders the "authenticated" page for `?html=1`; absent where HTML is not bundled (the verify Lambda). */
  authenticatedPage?: (
    pr: PortalRequest,
    session: Session,
    providerDisplayName: string,
  ) => Response | Promise<Response>;
}

/** Return URLs longer than this would make the state cookie too large for browsers; fall back to the site root. */
const MAX_RETURN_URL = 2048;

/**
 * `GET P`: the forward-auth check that Traefik calls on every request.
 * 1. A valid session → check the authorization condition → 200 with identity headers (403 when it fails).
 * 2. Otherwise → (re)write the state cookie for this return URL → 303 to sign-in. Nothing is written to the database.
 */
export async function verifyRoute(deps: VerifyDeps, pr: PortalRequest): Promise<Response> {
  // 1. Look up the session (cached per container); malformed or unknown cookies are cleared.
  const { session, provider, clear } = await currentSession(deps, pr);
  if (session && provider) return authorized(deps, pr, session, provider.displayName);
  const setCookies = [...clear];

  // 2. Not authenticated: remember where to go back to in a per-return-URL state cookie.
  let returnUrl = returnUrlFor(deps, pr);
  if (returnUrl.length > MAX_RETURN_URL) {
    pr.log.warn('Return URL too long for a cookie; using the site root instead', { length: returnUrl.length });
    returnUrl = `${pr.fwd.scheme}://${pr.fwd.host}/`;
  }
  const id = stateCookieId(returnUrl);
  // Reusing a still-valid cookie keeps the nonce stable, so repeated checks (or parallel tabs) don't race.
  const existing = decodeStateCookie(pr.cookies[stateCookieName(pr.portal.name, id)]);
  const state =
    existing?.returnUrl === returnUrl
      ? existing
      : { returnUrl, nonce: randomId(12), secret: randomId(16), createdAt: Math.floor(deps.now() / 1000) };
  setCookies.push(writeStateCookie(deps, pr, id, state, pr.host.cookieDomain));
  setCookies.push(...pruneStateCookies(deps, pr, id, pr.host.cookieDomain));

  const signin = `${portalUri(deps, pr)}${ROUTES.signin.suffix}?state=${signinState.encode({ cookieId: id, nonce: state.nonce })}${isTruthy(pr.url.searchParams.get('logout')) ? '&logout=1' : ''}`;

  // 3. Browsers get a 303; API clients (and nginx auth_request, which turns a 3xx into a 500) get a 401 that says
  // where to sign in. The state cookie still goes along, alone: nginx 1.22 can relay only one Set-Cookie line.
  // `always401` is for forward-auth checks (they carry X-Forwarded-Uri); a browser that opens the portal itself, as
  // it does after logout (`?logout=1`), still gets the sign-in page rather than a JSON error.
  if ((pr.portal.always401 && pr.fwd.uri !== undefined) || isNonBrowserRequest(pr.req)) {
    const headers = new Headers({
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      [SIGNIN_URL_HEADER]: signin,
    });
    headers.append('Set-Cookie', setCookies.find((c) => c.startsWith(stateCookieName(pr.portal.name, id))) ?? '');
    return new Response(JSON.stringify({ error: 'Not authenticated', signinUrl: signin }), { status: 401, headers });
  }
  return redirect(303, signin, 'Redirecting to sign-in page', setCookies);
}

/** Response header of a 401 carrying the absolute sign-in URL (for nginx `auth_request_set` and API clients). */
export const SIGNIN_URL_HEADER = 'X-Forward-Auth-Signin-Url';

/** Not a browser navigation: JSON without HTML in `Accept`, or an XMLHttpRequest. */
export function isNonBrowserRequest(req: Request): boolean {
  const accept = (req.headers.get('accept') ?? '').toLowerCase();
  if (accept.includes('application/json') && !accept.includes('text/html')) return true;
  return (req.headers.get('x-requested-with') ?? '').toLowerCase() === 'xmlhttprequest';
}

/** `{scheme}://{X-Forwarded-Host}{path+query of X-Forwarded-Uri}`, else the portal's profile page (upstream §2.13). */
export function returnUrlFor(deps: CoreDeps, pr: PortalRequest): string {
  const pq = pathAndQuery(pr.fwd.uri);
  return pq === undefined ? `${portalUri(deps, pr)}${ROUTES.profile.suffix}` : `${pr.fwd.scheme}://${pr.fwd.host}${pq}`;
}

async function authorized(
  deps: VerifyDeps,
  pr: PortalRequest,
  session: Session,
  providerDisplayName: string,
): Promise<Response> {
  // Conditions come from `?if=` (Traefik address) or the X-Forward-Auth-If header, never both.
  const fromQuery = pr.url.searchParams.get('if');
  const fromHeader = pr.req.headers.get('x-forward-auth-if');
  if (fromQuery !== null && fromHeader !== null)
    throw badRequest("Authorization condition passed in both 'if' query string arg and 'X-Forward-Auth-If' header");
  const source = fromQuery ?? fromHeader;
  if (source !== null && source !== '') {
    let predicate: ReturnType<ConditionCache['compile']>;
    try {
      predicate = deps.conditions.compile(source);
    } catch (err) {
      throw new HttpError(400, 'Invalid authorization rules', { cause: err, detail: (err as Error).message });
    }
    if (!predicate({ profile: session.profile, provider: session.provider }))
      return textResponse(403, 'Error: Access denied per authorization rules');
  }

  const headers = new Headers(identityHeaders(pr.portal, session.provider, session.profile));
  if (pr.portal.stripAuthCookies) {
    // The proxy puts this in place of the browser's Cookie header (absent: it removes it), so no app ever receives
    // a session token, which would be a bearer credential for every app of the portal and for the API (DESIGN §3.12).
    const appCookies = cookiesWithout(pr.req.headers.get('cookie'), [
      `${deps.config.cookies.namePrefix}_`,
      `${STATE_COOKIE_PREFIX}_`,
    ]);
    if (appCookies !== undefined) headers.set('Cookie', appCookies);
  }
  if (deps.authenticatedPage && isTruthy(pr.url.searchParams.get('html'))) {
    const page = await deps.authenticatedPage(pr, session, providerDisplayName);
    for (const [k, v] of headers) page.headers.set(k, v);
    return page;
  }
  const { id, name } = session.profile;
  const who = name.full ? `'${name.full}' ('${id}')` : `'${id}'`;
  return textResponse(200, `You are authenticated with provider '${providerDisplayName}' as ${who}`, headers);
}
