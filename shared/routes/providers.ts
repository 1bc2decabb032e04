import { ROUTES } from '../config/routes.js';
import { randomId, safeEqual, sha256 } from '../crypto.js';
import { badRequest, notFound, unauthorized } from '../http/errors.js';
import { matchHost } from '../http/hosts.js';
import type { ProviderRegistry } from '../providers/provider.js';
import type { StateStore } from '../sessions/types.js';
import { type CoreDeps, findProvider, type PortalRequest, portalUri, redirect } from './context.js';
import { decodeStateCookie, oauthState, signinState, stateCookieName } from './state-cookie.js';

export interface LoginDeps extends CoreDeps {
  states: StateStore;
  providers: ProviderRegistry;
}

/**
 * `GET P/providers/{provider}?state=<cookie id>~<nonce>`: starts the login at the identity provider.
 * 1. Check the state against its cookie (the same browser that hit the forward-auth check).
 * 2. Validate the return URL again against the configured domains.
 * 3. Store a single-use login state (PKCE verifier, OIDC nonce, binding hash) with TTL = authenticationTimeout.
 * 4. 303 to the provider's authorization endpoint.
 */
export async function providersRoute(deps: LoginDeps, pr: PortalRequest, providerName: string): Promise<Response> {
  const providerConfig = findProvider(pr.portal, providerName);
  const provider = providerConfig && deps.providers.get(pr.portal.name, providerConfig.name);
  if (!providerConfig || !provider) throw notFound('Provider not found');

  // 1. The state parameter and cookie.
  const state = pr.url.searchParams.get('state');
  if (!state) throw badRequest("Missing query string parameter 'state'");
  const parsed = signinState.decode(state);
  if (!parsed) throw unauthorized("Query string parameter 'state' is invalid");
  const { cookieId: id, nonce } = parsed;
  const raw = pr.cookies[stateCookieName(pr.portal.name, id)];
  if (raw === undefined) throw unauthorized('State cookie not found');
  const cookie = decodeStateCookie(raw);
  if (!cookie) throw unauthorized('State cookie is invalid', 'state cookie could not be parsed');
  if (!safeEqual(cookie.nonce, nonce)) throw unauthorized('Parameters in state cookie do not match state token');

  // 2. The cookie is not signed, so its return URL is checked again before it can become a redirect target.
  let target: URL;
  try {
    target = new URL(cookie.returnUrl);
  } catch {
    throw badRequest('Return URL is invalid');
  }
  if (
    (target.protocol !== 'https:' && target.protocol !== 'http:') ||
    target.username ||
    target.password ||
    !matchHost(deps.config, target.host)
  )
    throw badRequest(
      'Return URL is not on a domain served by this auth server',
      `return URL host ${JSON.stringify(target.host)}`,
    );

  // 3. The single-use login state.
  const now = deps.now();
  const stateId = randomId(16);
  const redirectUri = `${portalUri(deps, pr)}${ROUTES.callback.suffix}`;
  const loginState = {
    portal: pr.portal.name,
    provider: providerConfig.name,
    returnUrl: cookie.returnUrl,
    redirectUri,
    codeVerifier: providerConfig.enablePKCE ? randomId(32) : undefined,
    nonce: randomId(16),
    bindingHash: sha256(cookie.secret),
    cookieId: id,
    createdAt: now,
    expiresAt: now + pr.portal.authenticationTimeout,
  };
  await deps.states.putState(stateId, loginState);

  // 4. Off to the provider; the OAuth state keeps upstream's `<provider>~<cookie id>~<random>` shape.
  const url = await provider.authorizationUrl({
    redirectUri,
    state: oauthState.encode({ provider: providerConfig.name, cookieId: id, stateId }),
    nonce: loginState.nonce,
    codeVerifier: loginState.codeVerifier,
  });
  return redirect(303, url.href, `Redirecting to ${providerConfig.displayName}`);
}
