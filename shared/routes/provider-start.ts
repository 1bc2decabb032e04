import { ROUTES } from '../config/routes.js';
import type { ProviderConfig } from '../config/types.js';
import { randomId, safeEqual, sha256 } from '../crypto.js';
import { badRequest, notFound, unauthorized, withHint } from '../http/errors.js';
import { redirect } from '../http/responses.js';
import type { OAuthProvider, ProviderRegistry } from '../providers/provider.js';
import type { LoginState, StateStore } from '../sessions/types.js';
import { type CoreDeps, findProvider, type PortalRequest, portalUri } from './context.js';
import { exchangeFailure } from './exchange-failure.js';
import {
  decodeStateCookie,
  oauthState,
  readReturnParam,
  signinState,
  stateCookieId,
  stateCookieName,
} from './state-cookie.js';

export interface LoginDeps extends CoreDeps {
  states: StateStore;
  providers: ProviderRegistry;
}

/**
 * `GET P/providers/{provider}?state=<cookie id>~<nonce>&return=<url>`: starts the login at the identity provider.
 * 1. Check the state against its cookie (the same browser that hit the forward-auth check).
 * 2. Validate the return URL (from the query) again against the configured domains.
 * 3. Store a single-use login state (PKCE verifier, OIDC nonce, binding hash) with TTL = authenticationTimeout, keyed
 *    by the browser binding: it replaces this state cookie's previous one (docs/sessions.md, "Login states").
 * 4. 303 to the provider's authorization endpoint (502 when its discovery document cannot be fetched).
 */
export async function providersRoute(deps: LoginDeps, pr: PortalRequest, providerName: string): Promise<Response> {
  const providerConfig = findProvider(pr.portal, providerName);
  const provider = providerConfig && deps.providers.get(pr.portal.name, providerConfig.name);
  if (!providerConfig || !provider) throw notFound('Provider not found', { reason: 'no-provider' });

  // 1. The state parameter and cookie; the return URL (validated again: it is client-made) must be the cookie's.
  const state = pr.url.searchParams.get('state');
  if (!state) throw badRequest("Missing query string parameter 'state'");
  const parsed = signinState.decode(state);
  if (!parsed) throw unauthorized("Query string parameter 'state' is invalid");
  const { cookieId: id, nonce } = parsed;
  const returnUrl = readReturnParam(deps, pr.url);
  if (returnUrl === undefined) throw badRequest("Missing query string parameter 'return'");
  // From here the app is known: an error page offers to start again from it.
  const hint = { provider: providerConfig.displayName, returnUrl };
  if (stateCookieId(returnUrl) !== id) throw withHint(unauthorized("Query string parameter 'state' is invalid"), hint);
  const raw = pr.cookies[stateCookieName(pr.portal.name, id)];
  if (raw === undefined) throw withHint(unauthorized('State cookie not found'), hint);
  const cookie = decodeStateCookie(raw);
  if (!cookie) throw withHint(unauthorized('State cookie is invalid', 'state cookie could not be parsed'), hint);
  if (!safeEqual(cookie.nonce, nonce))
    throw withHint(unauthorized('Parameters in state cookie do not match state token'), hint);

  // 3-4. The single-use login state, then off to the provider.
  let url: URL;
  try {
    url = await startAuthorization(deps, pr, providerConfig, provider, {
      returnUrl,
      cookieId: id,
      secret: cookie.secret,
    });
  } catch (err) {
    throw withHint(err as Error, hint);
  }
  return redirect(303, url.href, `Redirecting to ${providerConfig.displayName}`);
}

/**
 * Stores the single-use login state (PKCE verifier, OIDC nonce, binding hash; TTL = authenticationTimeout) under a new
 * attempt id and returns the provider's authorization URL. Also starts a silent re-validation (`renewLease`:
 * `prompt=none`, and the callback renews the browser's session instead of creating one).
 */
export async function startAuthorization(
  deps: LoginDeps,
  pr: PortalRequest,
  providerConfig: ProviderConfig,
  provider: OAuthProvider,
  login: { returnUrl: string; cookieId: string; secret: string; renewLease?: number },
): Promise<URL> {
  const now = deps.now();
  const stateId = randomId(16);
  const redirectUri = `${portalUri(deps, pr)}${ROUTES.callback.suffix}`;
  const loginState: LoginState = {
    portal: pr.portal.name,
    provider: providerConfig.name,
    returnUrl: login.returnUrl,
    redirectUri,
    codeVerifier: providerConfig.enablePKCE ? randomId(32) : undefined,
    nonce: randomId(16),
    bindingHash: sha256(login.secret),
    cookieId: login.cookieId,
    createdAt: now,
    expiresAt: now + pr.portal.authenticationTimeout,
    ...(login.renewLease !== undefined ? { renewLease: login.renewLease } : {}),
  };
  await deps.states.putState(stateId, loginState);

  // The OAuth state keeps upstream's `<provider>~<cookie id>~<random>` shape. Building the URL may need the
  // provider's discovery document: a provider that cannot be reached is a 502, as at the callback.
  try {
    return await provider.authorizationUrl({
      redirectUri,
      state: oauthState.encode({ provider: providerConfig.name, cookieId: login.cookieId, stateId }),
      nonce: loginState.nonce,
      codeVerifier: loginState.codeVerifier,
      ...(login.renewLease !== undefined ? { prompt: 'none' as const } : {}),
    });
  } catch (err) {
    throw exchangeFailure(err);
  }
}
