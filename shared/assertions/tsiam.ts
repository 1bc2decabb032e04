import { parseEndpointUrl } from '../config/client-assertion.js';
import { cachedTokenSource, parseSeconds } from './cache.js';
import { AssertionError } from './errors.js';
import { requestTokenJson, requireAccessToken } from './http.js';
import type { AssertionSource } from './source.js';

/** tsiam tokens are reused until this long before they expire (upstream: 1 minute). */
const EXPIRY_MARGIN_MS = 60_000;

/** What a tsiam source needs from the assertion context. */
export interface TsiamContext {
  /** Sent as `resource`: the provider's endpoint / issuer. */
  audience: string;
  fetch: typeof fetch;
  now: () => number;
}

/**
 * Builds `{endpoint}/token?resource=<audience>` (trailing slashes of the endpoint dropped).
 *
 * @throws AssertionError `ERR_ASSERTION_CONFIG` when the audience is empty or the endpoint is not an http(s) URL.
 */
export function tsiamTokenUrl(endpoint: string, audience: string): URL {
  if (audience === '') throw new AssertionError('ERR_ASSERTION_CONFIG', 'tsiam: audience is empty');
  const url = parseEndpointUrl(`${endpoint.replace(/\/+$/, '')}/token`);
  if (!url) {
    throw new AssertionError('ERR_ASSERTION_CONFIG', `tsiam: failed to parse endpoint URL '${endpoint}'`);
  }
  url.searchParams.set('resource', audience);
  return url;
}

/**
 * A tsiam assertion source: `POST {endpoint}/token?resource=<audience>` with `X-Tsiam: 1` and no body. The token is
 * reused until `expires_in` − 60 s (not cached when that is not positive or `expires_in` is unusable); `expires_in`
 * may be a string (what tsiam sends) or a number (upstream rejects numbers).
 *
 * @throws AssertionError `ERR_ASSERTION_CONFIG` at creation (see {@link tsiamTokenUrl}).
 */
export function createTsiamSource(endpoint: string, ctx: TsiamContext): AssertionSource {
  const url = tsiamTokenUrl(endpoint, ctx.audience);

  return cachedTokenSource(async () => {
    const body = await requestTokenJson(ctx.fetch, url, { method: 'POST', headers: { 'X-Tsiam': '1' } }, 'tsiam');
    const token = requireAccessToken(body, 'tsiam');
    const expiresIn = parseSeconds(body.expires_in);
    const now = ctx.now();
    return { token, reuseUntil: expiresIn === undefined ? undefined : now + expiresIn * 1000 - EXPIRY_MARGIN_MS };
  }, ctx.now);
}
