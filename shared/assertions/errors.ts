/**
 * Stable reasons a client assertion could not be configured or obtained. Callers branch on these, never on messages.
 * - `ERR_ASSERTION_CONFIG`: the option value or the environment is unusable (reported at startup).
 * - `ERR_ASSERTION_REQUEST`: the token endpoint could not be reached (network error, timeout).
 * - `ERR_ASSERTION_STATUS`: the token endpoint answered with a non-OK status.
 * - `ERR_ASSERTION_RESPONSE`: the token endpoint answered 200 with a body we cannot use.
 * - `ERR_ASSERTION_FILE`: a token file is missing, unreadable or empty.
 * - `ERR_ASSERTION_STS`: AWS STS refused `GetWebIdentityToken` or could not be called.
 */
export type AssertionErrorCode =
  | 'ERR_ASSERTION_CONFIG'
  | 'ERR_ASSERTION_REQUEST'
  | 'ERR_ASSERTION_STATUS'
  | 'ERR_ASSERTION_RESPONSE'
  | 'ERR_ASSERTION_FILE'
  | 'ERR_ASSERTION_STS';

/**
 * Failure to configure or obtain a client assertion. Messages are safe to log: they never contain token values
 * (only statuses, file paths, endpoint URLs and the identity provider's error code/description).
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
  readonly code: AssertionErrorCode;

  constructor(code: AssertionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
