import type { ProviderConfig } from '../config/types.js';
import { sha256 } from '../crypto.js';
import { deleteCookie, setCookie } from '../http/cookies.js';
import { badRequest, HttpError, unauthorized, withHint } from '../http/errors.js';
import { matchHost } from '../http/hosts.js';
import { redirect } from '../http/responses.js';
import type { OAuthProvider } from '../providers/provider.js';
import { initialTimes } from '../sessions/renewal.js';
import type { BackchannelStore, Device, LoginState, SessionStore } from '../sessions/types.js';
import { cookieScope, findProvider, type PortalRequest, sessionCookieName } from './context.js';
import { exchangeFailure } from './exchange-failure.js';
import type { LoginDeps } from './provider-start.js';
import { finishSilentRenewal, refuseSilentRenewal } from './renew.js';
import { checkReturnUrl, decodeStateCookie, oauthState, stateCookieName } from './state-cookie.js';

export interface CallbackDeps extends LoginDeps {
  sessions: SessionStore;
  /** Records the provider session id (`sid`) of each sign-in, for back-channel logout. */
  backchannel?: BackchannelStore;
}

/**
 * `GET P/oauth2/callback?code&state`: finishes the login.
 * 1. Provider errors → 424 (its page offers to try again from the app; for a silent re-validation started by
 *    `P/oauth2/renew`: the session ends, 303 back); missing or malformed parameters → 400/401.
 * 2. Consume the login state of this browser (keyed by the state cookie's binding secret; a conditional delete on
 *    this attempt: a replayed callback finds nothing) and check it is for this portal, provider and state cookie.
 * 3. Exchange the code (openid-client checks state, PKCE and the OIDC nonce) and build the profile; a failure gets
 *    an honest status (`exchange-failure.ts`: 401 expired code, 424 rejected client, 502 provider down, 503 ours).
 * 4. A silent re-validation renews the browser's session (`renew.ts`). Otherwise store the session, set its cookie
 *    for the return URL's domain, clear this login's state cookie, 307 back.
 */
export async function callbackRoute(deps: CallbackDeps, pr: PortalRequest): Promise<Response> {
  const q = pr.url.searchParams;

  // 1. The parameters.
  const state = q.get('state');
  const idpError = q.get('error');
  if (idpError !== null) {
    // The login is over either way: its state is consumed (best effort). A silent re-validation the provider refused
    // (`login_required`...) ends the session; anything else is a 424 whose page offers to try again from the app.
    const ended = state === null ? undefined : await consumeLogin(deps, pr, state).catch(() => undefined);
    if (ended?.login.renewLease !== undefined) return refuseSilentRenewal(deps, pr, ended.login, idpError);
    const parsed = state === null ? undefined : oauthState.decode(state);
    throw new HttpError(424, 'The auth server returned an error', {
      detail: `provider error ${JSON.stringify(idpError.slice(0, 200))}`,
      hint: {
        reason: idpError === 'access_denied' ? 'cancelled' : 'provider-error',
        provider: parsed && findProvider(pr.portal, parsed.provider)?.displayName,
        returnUrl: ended?.login.returnUrl,
      },
    });
  }
  const code = q.get('code');
  if (!state || !code) throw badRequest("Missing query string parameter 'state' or 'code'");

  // 2. Single use, same browser, same portal and provider.
  const { login, providerConfig, provider } = await consumeLogin(deps, pr, state);

  // 3. The code exchange; the callback URL is rebuilt on the redirect_uri we sent, since behind AWS front doors the
  // request URL carries the AWS host, not ours. A failure's page offers to try again from the app.
  const returnUrl = checkReturnUrl(deps, login.returnUrl);
  const callbackUrl = new URL(login.redirectUri);
  for (const [k, v] of q) callbackUrl.searchParams.append(k, v);
  let signIn: Awaited<ReturnType<typeof provider.signIn>>;
  try {
    signIn = await provider.signIn({
      callbackUrl,
      expectedState: state,
      nonce: login.nonce,
      codeVerifier: login.codeVerifier,
    });
  } catch (err) {
    throw withHint(exchangeFailure(err), { provider: providerConfig.displayName, returnUrl });
  }
  // A silent re-validation renews the browser's session instead of creating one.
  if (login.renewLease !== undefined)
    return finishSilentRenewal(deps, pr, { ...login, renewLease: login.renewLease }, signIn);

  // 4. The session; its cookie is scoped to the return URL's domain (upstream), re-checked against the config.
  const returnHost = matchHost(deps.config, new URL(returnUrl).host);
  if (!returnHost) throw badRequest('Return URL is not on a domain served by this auth server');
  const { profile } = signIn;
  const now = deps.now();
  // Expiry, and with `sessionMaxLifetime` / `revalidateInterval` when it is next renewed (`renewal.ts`).
  const times = initialTimes(pr.portal, now);
  const { expiresAt } = times;
  const token = await deps.sessions.create(
    {
      portal: pr.portal.name,
      provider: providerConfig.name,
      profile,
      createdAt: now,
      ...times,
      device: deviceOf(pr),
      // The domain the cookie is scoped to: the session is not accepted under another configured domain.
      domain: returnHost.domain,
    },
    // Sealed under the new session token: the ID token for RP-initiated logout, the refresh token for revalidation.
    { idToken: signIn.idToken, refreshToken: signIn.refreshToken },
  );
  if (signIn.sid && deps.backchannel)
    await deps.backchannel.linkProviderSession(
      pr.portal.name,
      providerConfig.name,
      signIn.sid,
      sha256(token),
      expiresAt,
    );
  pr.log.info('User logged in', { portal: pr.portal.name, provider: providerConfig.name, user: profile.id });
  return redirect(307, returnUrl, 'Redirecting to application', [
    setCookie(
      sessionCookieName(deps, pr.portal),
      token,
      pr.portal.sessionLifetime / 1000 - 1,
      cookieScope(deps, returnHost.cookieDomain),
    ),
    // Only this login's state cookie goes: other tabs may still be mid-login (upstream clears them all).
    deleteCookie(stateCookieName(pr.portal.name, login.cookieId), cookieScope(deps, pr.host.cookieDomain)),
  ]);
}

/**
 * Steps 1-2 of the callback: parses the OAuth `state`, finds the state cookie and the provider, and consumes this
 * browser's login state (single use), which must be for this portal, provider and state cookie.
 * @throws HttpError 401 (state or cookie missing, malformed, used, replaced, or another browser's), 409 (provider)
 */
async function consumeLogin(
  deps: CallbackDeps,
  pr: PortalRequest,
  state: string,
): Promise<{ login: LoginState; providerConfig: ProviderConfig; provider: OAuthProvider }> {
  const parsed = oauthState.decode(state);
  if (!parsed) throw unauthorized("Query string parameter 'state' is invalid");
  const { provider: providerName, cookieId, stateId } = parsed;
  const cookie = decodeStateCookie(pr.cookies[stateCookieName(pr.portal.name, cookieId)]);
  if (!cookie) throw unauthorized('State cookie not found');
  const providerConfig = findProvider(pr.portal, providerName);
  const provider = providerConfig && deps.providers.get(pr.portal.name, providerConfig.name);
  if (!providerConfig || !provider)
    throw new HttpError(409, 'Auth provider not found', { hint: { reason: 'no-provider' } });

  const consumed = await deps.states.consumeState(stateId, deps.now(), sha256(cookie.secret));
  if (!consumed.ok && consumed.reason === 'superseded')
    // Two tabs started a login for the same page: the later one replaced this one and is the one that completes.
    throw unauthorized(
      'This sign-in was replaced by a newer one in this browser: finish that one, or reload the page',
      'login state replaced by a newer login of this browser',
    );
  if (!consumed.ok)
    throw unauthorized('Login state not found or already used', 'state record missing, expired or replayed');
  const login = consumed.state;
  if (login.portal !== pr.portal.name || login.provider !== providerConfig.name || login.cookieId !== cookieId)
    throw unauthorized(
      'Parameters in state cookie do not match state token',
      'login state of another portal, provider or state cookie',
    );
  return { login, providerConfig, provider };
}

/** The browser as the session inventory shows it: User-Agent and client address, truncated (never trusted). */
export function deviceOf(pr: PortalRequest): Device {
  const ua = pr.req.headers.get('user-agent')?.trim();
  return { userAgent: ua ? ua.slice(0, 256) : undefined, ip: pr.fwd.clientIp?.slice(0, 64) };
}
