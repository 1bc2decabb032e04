import { DependencyError } from '../errors.js';
import { HttpError } from '../http/errors.js';

/**
 * Why a call to the provider failed (the code exchange, or the discovery a login start may need), as the user and the
 * operator should see it (README "Callback errors"; a browser's page says it in plain words, shared/portal/error-view.ts):
 *
 * | cause                                                          | status | message                                   |
 * |----------------------------------------------------------------|--------|-------------------------------------------|
 * | the provider answers `invalid_grant` (code expired or used)    | 401    | Sign-in link expired or already used ...  |
 * | the provider answers `invalid_client` / `unauthorized_client`  | 424    | The identity provider rejected the client |
 * | the provider answers another OAuth error                       | 424    | The auth server returned an error         |
 * | the provider is unreachable, times out, fails TLS or says 5xx  | 502    | The identity provider could not be reached|
 * | Secrets Manager, STS or an assertion endpoint unreachable/5xx  | 503    | Service temporarily unavailable           |
 * | anything else (a response that fails validation, our config)   | 500    | An internal error occurred                |
 *
 * The cause is kept for the access log (`detail`, `err`), never shown.
 */
export function exchangeFailure(err: unknown): Error {
  // The provider's log-safe description of the failure (ProviderError messages carry codes, never tokens).
  const detail = err instanceof Error ? err.message : String(err);
  for (const e of causes(err)) {
    if (e instanceof DependencyError || e instanceof HttpError) return e;
    if (isAwsSdkError(e)) {
      if (isTransientAwsError(e)) return new DependencyError(`AWS ${e.name}`, err, 503, detail);
      break;
    }
    if (e.name === 'AssertionError') {
      // Only an unreachable token endpoint is transient; a refusal or a bad environment is ours to fix (500).
      if ((e as { code?: unknown }).code === 'ERR_ASSERTION_REQUEST')
        return new DependencyError('client assertion request', err, 503, detail);
      continue;
    }
    const oauthError = (e as { error?: unknown }).error;
    if (e.name === 'ResponseBodyError' && typeof oauthError === 'string')
      return oauthRejection(oauthError, err, detail);
    if (isUnreachable(e)) return new DependencyError('identity provider request', err, 502, detail);
  }
  return new HttpError(500, 'An internal error occurred', { cause: err, detail });
}

function oauthRejection(error: string, cause: unknown, detail: string): HttpError {
  if (error === 'invalid_grant')
    return new HttpError(401, 'Sign-in link expired or already used: please sign in again', { cause, detail });
  if (error === 'invalid_client' || error === 'unauthorized_client')
    return new HttpError(424, 'The identity provider rejected the client credentials of this auth server', {
      cause,
      detail,
      hint: { reason: 'client-rejected' },
    });
  return new HttpError(424, 'The auth server returned an error', { cause, detail, hint: { reason: 'provider-error' } });
}

/** The error and its causes, outermost first (bounded: cause chains are short, but never trust a cycle). */
function* causes(err: unknown): Generator<Error> {
  let cur = err;
  for (let depth = 0; cur instanceof Error && depth < 10; depth++, cur = cur.cause) yield cur;
}

type AwsSdkError = Error & { $fault?: string; $retryable?: unknown; $metadata: { httpStatusCode?: number } };

function isAwsSdkError(e: Error): e is AwsSdkError {
  return typeof (e as { $metadata?: unknown }).$metadata === 'object';
}

/** No answer at all, a server fault or throttling; access denied, a missing secret or a KMS refusal are not. */
function isTransientAwsError(e: AwsSdkError): boolean {
  return (
    e.$metadata.httpStatusCode === undefined ||
    e.$fault === 'server' ||
    e.$retryable !== undefined ||
    /Throttl|TooManyRequests/.test(e.name)
  );
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT',
]);

/** undici's `fetch failed` (connection, DNS, TLS), a timeout, or a 5xx answer openid-client could not parse. */
function isUnreachable(e: Error): boolean {
  if (e instanceof TypeError && e.message === 'fetch failed') return true;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return true;
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    const status = (e.cause as { status?: unknown } | undefined)?.status;
    return typeof status === 'number' && status >= 500;
  }
  return false;
}
