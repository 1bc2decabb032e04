import { sha256 } from '../crypto.js';
import { deleteCookie, setCookie } from '../http/cookies.js';
import { badRequest, HttpError } from '../http/errors.js';
import { matchHost } from '../http/hosts.js';
import { redirect } from '../http/responses.js';
import type { SignIn } from '../providers/provider.js';
import { type RenewalTimes, renewalState, renewedTimes } from '../sessions/renewal.js';
import type { BackchannelStore, LoginState, Session, SessionRenewal, SessionStore } from '../sessions/types.js';
import { unseal } from '../sessions/vault.js';
import { cookieScope, type PortalRequest, sessionCookieName } from './context.js';
import { exchangeFailure } from './exchange-failure.js';
import { type LoginDeps, startAuthorization } from './provider-start.js';
import { currentSession } from './session-lookup.js';
import { checkReturnUrl, issueStateCookie, readReturnParam, stateCookieName } from './state-cookie.js';

export interface RenewDeps extends LoginDeps {
  sessions: SessionStore;
  /** Records the provider session id (`sid`) a silent re-validation reports, for back-channel logout. */
  backchannel?: BackchannelStore;
}

/**
 * How long one renewal holds a session (`SessionStore.claimRenewal`): a refresh-token grant or a `prompt=none` round
 * trip takes seconds; a renewal that dies half-way frees the session after this.
 */
export const RENEW_LEASE_MS = 60_000;
/** While another tab's renewal holds a session past its re-validation deadline: how often and how long to look. */
const WAIT_STEP_MS = 250;
const WAIT_STEPS = 12;

/**
 * `GET P/oauth2/renew?return=<url>`: the check sends a browser navigation here when its session is due for extension
 * (`sessionMaxLifetime`) or re-validation (`revalidateInterval`); the browser sees one extra redirect (two more
 * through the provider for a `prompt=none` round trip). docs/sessions.md has the design and the costs.
 * 1. The return URL (validated like any) and the session, read past the verify cache. No session, or nothing due
 *    (another tab renewed it): straight back.
 * 2. Take the renewal (a lease on the item), so that two tabs never spend one refresh token twice; a tab that finds it
 *    taken waits for the other's result.
 * 3. Extension only (no `revalidateInterval`): no provider call. Else the refresh-token grant when the provider
 *    issued a refresh token, or a silent `prompt=none` authorization that the callback finishes.
 * 4. The provider refused (`invalid_grant`: the user was disabled or removed, the grant revoked): the session ends.
 *    Otherwise the new times, profile and tokens are written under the lease and the cookie outlives the new expiry.
 */
export async function renewRoute(deps: RenewDeps, pr: PortalRequest): Promise<Response> {
  // 1. Where to go back to, and the session.
  const returnUrl = readReturnParam(deps, pr.url);
  if (returnUrl === undefined) throw badRequest("Missing query string parameter 'return'");
  const found = await currentSession(deps, pr, { fresh: true, unvalidated: true });
  const { session, provider: providerConfig, token } = found;
  if (!session || !providerConfig || !token) return back(returnUrl, found.clear);
  const now = deps.now();
  if (renewalState(session, now) === 'ok') return back(returnUrl, []);

  // 2. One renewal at a time.
  const lease = now + RENEW_LEASE_MS;
  if (!(await deps.sessions.claimRenewal(token, now, lease))) return waitForRenewal(deps, pr, token, returnUrl);

  // 3. Extension alone needs no provider.
  const policy = pr.portal;
  if (policy.revalidateInterval === undefined)
    return finishRenewal(deps, pr, { token, lease, session, returnUrl }, renewedTimes(policy, session, now, false));
  const provider = deps.providers.get(pr.portal.name, providerConfig.name);
  if (!provider) throw new HttpError(409, 'Auth provider not found');
  const secrets = unseal(token, session.sealed) ?? {};
  if (!secrets.refreshToken || !provider.refresh) {
    // No refresh token: a silent authorization round trip; the callback renews the session (`finishSilentRenewal`).
    const { id, cookie, setCookies } = issueStateCookie(deps, pr, returnUrl);
    const url = await startAuthorization(deps, pr, providerConfig, provider, {
      returnUrl,
      cookieId: id,
      secret: cookie.secret,
      renewLease: lease,
    });
    return redirect(303, url.href, `Redirecting to ${providerConfig.displayName}`, setCookies);
  }
  let refreshed: Awaited<ReturnType<NonNullable<typeof provider.refresh>>>;
  try {
    refreshed = await provider.refresh(secrets.refreshToken);
  } catch (err) {
    const failure = exchangeFailure(err);
    // 4. `invalid_grant` (mapped to 401): the provider no longer accepts this user's grant.
    if (failure instanceof HttpError && failure.status === 401)
      return endSession(deps, pr, token, session, returnUrl, [], 'the refresh-token grant was refused');
    // The provider is down or refuses the client: the session is not re-validated (and so, past its deadline, not
    // accepted), but it is not ended for a failure of ours or the provider's.
    throw failure;
  }
  if (refreshed.profile && refreshed.profile.id !== session.profile.id)
    return endSession(deps, pr, token, session, returnUrl, [], 'the provider now names another user');
  return finishRenewal(
    deps,
    pr,
    { token, lease, session, returnUrl },
    {
      ...renewedTimes(policy, session, now, true),
      ...(refreshed.profile ? { profile: refreshed.profile } : {}),
      secrets: { idToken: refreshed.idToken ?? secrets.idToken, refreshToken: refreshed.refreshToken },
    },
  );
}

/**
 * The callback's end of a silent re-validation (`prompt=none`): the provider signed the same user in without
 * interaction, so the browser's session is renewed (never replaced: its sign-in time and so its cap stay).
 */
export async function finishSilentRenewal(
  deps: RenewDeps,
  pr: PortalRequest,
  login: LoginState & { renewLease: number },
  signIn: SignIn,
): Promise<Response> {
  const { returnUrl, stateCookie, current, clear } = await silentRenewal(deps, pr, login);
  if (!current) return back(returnUrl, [...clear, stateCookie]);
  const { session, token } = current;
  if (session.profile.id !== signIn.profile.id)
    return endSession(deps, pr, token, session, returnUrl, [stateCookie], 'the provider now names another user');
  const old = unseal(token, session.sealed) ?? {};
  const renewal: SessionRenewal = {
    ...renewedTimes(pr.portal, session, deps.now(), true),
    profile: signIn.profile,
    secrets: { idToken: signIn.idToken ?? old.idToken, refreshToken: signIn.refreshToken ?? old.refreshToken },
  };
  const response = await finishRenewal(deps, pr, { token, lease: login.renewLease, session, returnUrl }, renewal, [
    stateCookie,
  ]);
  if (signIn.sid && deps.backchannel)
    await deps.backchannel.linkProviderSession(
      pr.portal.name,
      login.provider,
      signIn.sid,
      sha256(token),
      renewal.expiresAt,
    );
  return response;
}

/**
 * The callback's end of a silent re-validation the provider refused (`error=login_required` and the like: the user is
 * no longer signed in there, or was disabled): the session ends and the browser goes back, so the check sends it to
 * sign in.
 */
export async function refuseSilentRenewal(
  deps: RenewDeps,
  pr: PortalRequest,
  login: LoginState,
  error: string,
): Promise<Response> {
  const { returnUrl, stateCookie, current, clear } = await silentRenewal(deps, pr, login);
  if (!current) return back(returnUrl, [...clear, stateCookie]);
  return endSession(deps, pr, current.token, current.session, returnUrl, [stateCookie], `provider answered ${error}`);
}

/**
 * What both ends of a silent re-validation need: the return URL, a Set-Cookie clearing this login's state cookie, and
 * the browser's session of that provider (read past the cache, and past its re-validation deadline).
 */
async function silentRenewal(deps: RenewDeps, pr: PortalRequest, login: LoginState) {
  const returnUrl = checkReturnUrl(deps, login.returnUrl);
  const stateCookie = deleteCookie(
    stateCookieName(pr.portal.name, login.cookieId),
    cookieScope(deps, pr.host.cookieDomain),
  );
  const { session, token, clear } = await currentSession(deps, pr, { fresh: true, unvalidated: true });
  const current = session && token && session.provider === login.provider ? { session, token } : undefined;
  return { returnUrl, stateCookie, current, clear };
}

interface Renewing {
  token: string;
  lease: number;
  session: Session;
  returnUrl: string;
}

/** Writes a renewal under its lease and sends the browser back, the session cookie re-set when the expiry moved. */
async function finishRenewal(
  deps: RenewDeps,
  pr: PortalRequest,
  r: Renewing,
  renewal: SessionRenewal & RenewalTimes,
  cookies: string[] = [],
): Promise<Response> {
  // A revocation (logout, back-channel) that ran meanwhile wins: nothing is written and the check sends it to sign in.
  if (!(await deps.sessions.renew(r.token, r.lease, renewal))) return back(r.returnUrl, cookies);
  const extended = renewal.expiresAt > r.session.expiresAt;
  pr.log.info('Session renewed', {
    portal: pr.portal.name,
    provider: r.session.provider,
    user: r.session.profile.id,
    extended,
    revalidated: renewal.validUntil !== undefined && renewal.validUntil !== r.session.validUntil,
  });
  if (!extended) return back(r.returnUrl, cookies);
  const maxAge = Math.floor((renewal.expiresAt - deps.now()) / 1000) - 1;
  const cookie = setCookie(sessionCookieName(deps, pr.portal), r.token, maxAge, sessionCookieScope(deps, r.returnUrl));
  return back(r.returnUrl, [cookie, ...cookies]);
}

/** Ends a session the provider no longer vouches for, and sends the browser back (the check then asks it to sign in). */
async function endSession(
  deps: RenewDeps,
  pr: PortalRequest,
  token: string,
  session: Session,
  returnUrl: string,
  cookies: string[],
  reason: string,
): Promise<Response> {
  await deps.sessions.revoke(token);
  pr.log.warn('Session ended: re-validation with the provider failed', {
    portal: pr.portal.name,
    provider: session.provider,
    user: session.profile.id,
    reason,
  });
  const clear = deleteCookie(sessionCookieName(deps, pr.portal), sessionCookieScope(deps, returnUrl));
  return back(returnUrl, [clear, ...cookies]);
}

/** Another tab holds the renewal: wait (briefly) for its result rather than send the browser round in circles. */
async function waitForRenewal(deps: RenewDeps, pr: PortalRequest, token: string, returnUrl: string): Promise<Response> {
  for (let i = 0; i < WAIT_STEPS; i++) {
    const session = await deps.sessions.get(token, deps.now(), { fresh: true });
    if (!session || renewalState(session, deps.now()) !== 'required') return back(returnUrl, []);
    await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
  }
  pr.log.warn('Session renewal still in progress elsewhere', { portal: pr.portal.name });
  throw new HttpError(503, 'Your session is being renewed in another tab: reload the page in a moment');
}

/** The session cookie's scope: the return URL's cookie domain, as the callback set it. */
function sessionCookieScope(deps: RenewDeps, returnUrl: string) {
  const host = matchHost(deps.config, new URL(returnUrl).host);
  if (!host) throw badRequest('Return URL is not on a domain served by this auth server');
  return cookieScope(deps, host.cookieDomain);
}

function back(returnUrl: string, cookies: string[]): Response {
  return redirect(303, returnUrl, 'Redirecting to application', cookies);
}
