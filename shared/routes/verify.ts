import type { ConditionCache } from '../conditions/conditions.js';
import { ROUTES } from '../config/routes.js';
import type { TailscaleWhoisConfig } from '../config/types.js';
import { sha256 } from '../crypto.js';
import { DependencyError } from '../errors.js';
import { cookiesWithout } from '../http/cookies.js';
import { badRequest, HttpError, unauthorized } from '../http/errors.js';
import { pathAndQuery } from '../http/forwarded.js';
import { jsonResponse, redirect, textResponse } from '../http/responses.js';
import type { IdentityAssertions } from '../identity/assertion.js';
import type { Profile } from '../profile.js';
import type { TailscaleWhois } from '../providers/tailscale-whois.js';
import { renewalState } from '../sessions/renewal.js';
import type { Session, SessionReader } from '../sessions/types.js';
import { type CoreDeps, isTruthy, type PortalRequest, portalUri, STATE_COOKIE_PREFIX } from './context.js';
import { deniedPage } from './denied-page.js';
import { identityHeaders } from './identity-header-values.js';
import { readLogoutNotice } from './logout-notice.js';
import { currentSession } from './session-lookup.js';
import {
  encodeReturnParam,
  isBrowserNavigation,
  isNonBrowserRequest,
  issueStateCookie,
  isTopLevelNavigation,
  MAX_RETURN_URL,
  signinUrl,
} from './state-cookie.js';

export interface VerifyDeps extends CoreDeps {
  sessions: SessionReader;
  conditions: ConditionCache;
  /** Identity-assertion minting, by portal name, for the portals that have `identityAssertion` on. */
  assertions?: ReadonlyMap<string, IdentityAssertions>;
  /**
   * The local tailscaled's whois, for portals with a `tailscaleWhois` provider (standalone only: the AWS config
   * refuses that provider, and the verify Lambda never bundles the client).
   */
  tailscale?: TailscaleWhois;
  /** Renders the "authenticated" page for `?html=1`; absent where HTML is not bundled (the verify Lambda). */
  authenticatedPage?: (
    pr: PortalRequest,
    session: Session,
    providerDisplayName: string,
  ) => Response | Promise<Response>;
}

/**
 * `GET P`: the forward-auth check that Traefik calls on every request.
 * 1. A valid session → check the authorization condition → 200 with identity headers (403 when it fails). A session
 *    due for extension or re-validation sends a browser navigation through `P/oauth2/renew` (303) first; past its
 *    re-validation deadline it counts as no session for anything else.
 * 2. Otherwise, for a top-level browser navigation: (re)issue the state cookie for this return URL → 303 to sign-in.
 * 3. Anything else (API clients, XHR, sub-resources, nginx `auth_request`, `always401`): 401 with the sign-in URL and
 *    no cookie; that URL starts a login by itself when a browser navigates to it. Nothing is written to the database.
 */
export async function verifyRoute(deps: VerifyDeps, pr: PortalRequest): Promise<Response> {
  // 1. Look up the session (cached per container); malformed or unknown cookies are cleared.
  let lookup = await currentSession(deps, pr, { unvalidated: true });
  const api = (pr.portal.always401 && pr.fwd.uri !== undefined) || isNonBrowserRequest(pr.req);
  const navigation = !api && isTopLevelNavigation(pr.req);
  let renewal = lookup.session ? renewalState(lookup.session, deps.now()) : 'ok';
  // A session due for renewal may have been renewed since it was cached (the renew route runs in another function):
  // read it again before sending the browser round, or before refusing it.
  if (renewal !== 'ok' && (navigation || renewal === 'required')) {
    lookup = await currentSession(deps, pr, { unvalidated: true, fresh: true });
    renewal = lookup.session ? renewalState(lookup.session, deps.now()) : 'ok';
  }
  const { session, provider, token, clear } = lookup;

  if (session && provider) {
    // 1b. Extension or re-validation due: a browser navigation passes through the renew route (docs/sessions.md).
    if (renewal !== 'ok' && navigation)
      return redirect(303, renewUrl(deps, pr, checkedReturnUrl(deps, pr)), 'Renewing session');
    // Past the re-validation deadline, anything else is refused as if signed out (step 3) until a browser renews it.
    if (renewal !== 'required') return authorized(deps, pr, session, token ?? '', provider.displayName);
  }
  // Tailscale: no sign-in step. The check itself asks tailscaled who the client is; when it cannot tell, a portal
  // with other providers goes on to their sign-in, one without answers here.
  if (pr.portal.tailscaleWhois) {
    const seamless = await tailscaleCheck(deps, pr, pr.portal.tailscaleWhois);
    if (seamless instanceof Response) return seamless;
    if (pr.portal.providers.length === 0) throw seamless;
  }

  const returnUrl = checkedReturnUrl(deps, pr);
  const logout = readLogoutNotice(pr);

  // 2. Browsers get a 303 and a state cookie, but only for a navigation that can complete the login: a cookie per
  // XHR, image or polling request would soon push the Cookie header past proxy limits (a "cookie bomb").
  // `always401` is for forward-auth checks (they carry X-Forwarded-Uri); a browser that opens the portal itself, as
  // it does after logout (`?logout=1`), still gets the sign-in page rather than a JSON error.
  if (navigation) {
    const { id, cookie, setCookies } = issueStateCookie(deps, pr, returnUrl);
    const signin = signinUrl(deps, pr, returnUrl, { id, nonce: cookie.nonce }, logout);
    return redirect(303, signin, 'Redirecting to sign-in page', [...clear, ...setCookies]);
  }

  // 3. A 401 that says where to sign in (nginx `auth_request` turns a 3xx into a 500). No Set-Cookie at all: nginx
  // relays only one, and the sign-in navigation issues the state cookie (within the budget) itself.
  const signin = signinUrl(deps, pr, returnUrl, undefined, logout);
  return jsonResponse(401, { error: 'Not authenticated', signinUrl: signin }, { [SIGNIN_URL_HEADER]: signin });
}

/** `P/oauth2/renew?return=<url>` on the auth host (served by the callback function). */
function renewUrl(deps: CoreDeps, pr: PortalRequest, returnUrl: string): string {
  return `${portalUri(deps, pr)}${ROUTES.renew.suffix}?return=${encodeReturnParam(returnUrl)}`;
}

/** Response header of a 401 carrying the absolute sign-in URL (for nginx `auth_request_set` and API clients). */
export const SIGNIN_URL_HEADER = 'X-Forward-Auth-Signin-Url';

/**
 * The return URL, normalised as `URL` prints it (sign-in and the provider start re-read it from the query and must
 * hash it to the same state cookie id). Too long (or unparsable) → the site root.
 */
function checkedReturnUrl(deps: CoreDeps, pr: PortalRequest): string {
  const root = `${pr.fwd.scheme}://${pr.fwd.host}/`;
  const raw = returnUrlFor(deps, pr);
  if (Buffer.byteLength(raw) > MAX_RETURN_URL) {
    pr.log.warn('Return URL too long; using the site root instead', { length: raw.length });
    return root;
  }
  try {
    const href = new URL(raw).href;
    return Buffer.byteLength(href) > MAX_RETURN_URL ? root : href;
  } catch {
    return root;
  }
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
  token: string,
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
      return denied(deps, pr, session, providerDisplayName, source);
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
  const assertionConfig = pr.portal.identityAssertion;
  const assertions = assertionConfig && deps.assertions?.get(pr.portal.name);
  if (assertionConfig && assertions)
    headers.set(
      assertionConfig.header,
      await assertions.assertion({
        sessionKey: sha256(token),
        session,
        issuer: portalUri(deps, { ...pr, shortRoute: false }),
        audience: appOrigin(pr),
        config: assertionConfig,
        now: deps.now(),
      }),
    );
  if (deps.authenticatedPage && isTruthy(pr.url.searchParams.get('html'))) {
    const page = await deps.authenticatedPage(pr, session, providerDisplayName);
    for (const [k, v] of headers) page.headers.set(k, v);
    return page;
  }
  return textResponse(200, authenticatedText(session.profile, providerDisplayName), headers);
}

/**
 * A check answered by tailscaled's whois on the leftmost X-Forwarded-For address: the 200 (or a condition's 403) for
 * a device it knows, else the error to answer when no other provider can sign the user in (401 for an address it does
 * not know, 403 for a device of another tailnet, 502 when tailscaled cannot be reached).
 */
async function tailscaleCheck(
  deps: VerifyDeps,
  pr: PortalRequest,
  ts: TailscaleWhoisConfig,
): Promise<Response | HttpError | DependencyError> {
  if (!deps.tailscale)
    return new HttpError(500, 'An internal error occurred', { detail: `${ts.path} needs the standalone server` });
  const ip = pr.fwd.clientIp;
  if (!ip) return unauthorized('Not authenticated', 'tailscaleWhois: the request has no X-Forwarded-For');
  let result: Awaited<ReturnType<TailscaleWhois['whois']>>;
  try {
    result = await deps.tailscale.whois(ts, ip);
  } catch (err) {
    if (!(err instanceof DependencyError)) throw err;
    if (pr.portal.providers.length > 0)
      pr.log.warn('tailscaled could not be reached; offering the other providers', { detail: err.detail });
    return err;
  }
  if (result.kind === 'unknown')
    return unauthorized('Not authenticated', `tailscaleWhois: ${ip} is not a known tailnet address`);
  if (result.kind === 'otherTailnet')
    return new HttpError(403, "Access denied: this device's tailnet is not allowed", {
      detail: `tailscaleWhois: ${ip} is in tailnet '${result.tailnet}', not '${ts.allowedTailnet}'`,
    });
  const now = deps.now();
  // Stands in for a session: nothing is stored, and the identity is asked again after the whois cache's TTL.
  const session: Session = {
    portal: pr.portal.name,
    provider: ts.name,
    profile: result.profile,
    createdAt: now,
    expiresAt: now + pr.portal.sessionLifetime,
  };
  // No `?html=1` page: it lists the sessions of the user, and this identity has none.
  const key = `tailscale\0${ip}\0${result.profile.id}`;
  return authorized({ ...deps, authenticatedPage: undefined }, pr, session, key, ts.displayName);
}

/**
 * A failed condition: upstream's 403 text, or for a browser navigating to the app the 403 page that says who is
 * signed in, that this app refused them (the condition only with `explainDenials`) and how to switch user.
 */
function denied(deps: CoreDeps, pr: PortalRequest, session: Session, providerDisplayName: string, condition: string) {
  if (!isBrowserNavigation(pr.req)) return textResponse(403, 'Error: Access denied per authorization rules');
  return deniedPage({
    user: session.profile.email?.address || session.profile.id,
    providerDisplayName,
    portalDisplayName: pr.portal.displayName,
    appHost: pr.fwd.host,
    condition: pr.portal.explainDenials ? condition : undefined,
    switchUserUrl: `${portalUri(deps, pr)}${ROUTES.authenticated.suffix}`,
    requestId: pr.requestId,
  });
}

/** The body of a 200 check (upstream's wording). */
export function authenticatedText(profile: Profile, providerDisplayName: string): string {
  const who = profile.name.full ? `'${profile.name.full}' ('${profile.id}')` : `'${profile.id}'`;
  return `You are authenticated with provider '${providerDisplayName}' as ${who}`;
}

/** The protected app's origin (`aud` of the assertion): forwarded scheme and host, default port dropped. */
function appOrigin(pr: PortalRequest): string {
  try {
    return new URL(`${pr.fwd.scheme}://${pr.fwd.host}`).origin;
  } catch {
    throw badRequest('Invalid forwarded host', `cannot build an origin from host ${JSON.stringify(pr.fwd.host)}`);
  }
}
