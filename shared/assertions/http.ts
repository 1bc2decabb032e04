import { AssertionError } from './errors.js';

/** Time allowed for one call to a token endpoint (upstream's tsiam timeout, applied to every HTTP source). */
export const TOKEN_REQUEST_TIMEOUT_MS = 15_000;

// Anything that looks like a JWT is cut out of issuer error descriptions before they reach a message.
const JWT_LIKE = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;
const MAX_DESCRIPTION = 300;

/**
 * Calls a token endpoint and returns its JSON object body. Failures become `AssertionError`s whose messages carry the
 * status and, for OAuth-style error bodies, the `error`/`error_description` (JWT-like text removed), never a token.
 *
 * @param label names the issuer in messages, e.g. `tsiam`.
 */
export async function requestTokenJson(
  fetchFn: typeof fetch,
  url: URL,
  init: RequestInit,
  label: string,
): Promise<Record<string, unknown>> {
  let res: Response;
  let text: string;
  try {
    res = await fetchFn(url, { ...init, signal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS) });
    text = await res.text();
  } catch (err) {
    throw new AssertionError('ERR_ASSERTION_REQUEST', `error requesting token from ${label}: ${describe(err)}`, {
      cause: err,
    });
  }

  if (res.status !== 200) {
    throw new AssertionError(
      'ERR_ASSERTION_STATUS',
      `error requesting token from ${label}: response status is not OK: ${res.status}${oauthErrorDetail(text)}`,
    );
  }

  const body = parseObject(text);
  if (!body) {
    throw new AssertionError('ERR_ASSERTION_RESPONSE', `error parsing response from ${label}: not a JSON object`);
  }
  return body;
}

/** The non-empty `access_token` of a token response, or an `ERR_ASSERTION_RESPONSE`. */
export function requireAccessToken(body: Record<string, unknown>, label: string): string {
  const token = body.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new AssertionError('ERR_ASSERTION_RESPONSE', `error parsing response from ${label}: no access_token`);
  }
  return token;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return parsed as Record<string, unknown>;
}

function oauthErrorDetail(text: string): string {
  const body = parseObject(text);
  if (!body) return '';
  const parts = [body.error, body.error_description]
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .map((v) => v.replace(JWT_LIKE, '[redacted]'));
  if (parts.length === 0) return '';
  const detail = parts.join(': ');
  return ` (${detail.length > MAX_DESCRIPTION ? `${detail.slice(0, MAX_DESCRIPTION)}…` : detail})`;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return `no response within ${TOKEN_REQUEST_TIMEOUT_MS / 1000}s`;
    // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, DNS…) in the cause.
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
