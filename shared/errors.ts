/**
 * Errors every room of the core may throw without knowing about HTTP. `shared/http/errors.ts` maps them to responses
 * in the one error funnel (`app.onError`).
 */

/**
 * What an error page may add to an error's public message (shared/portal/error-view.ts turns it into plain words and a
 * next step). Never private: every field is shown to the user who made the request.
 */
export interface ErrorHint {
  /** Why, when the status alone does not say it. */
  reason?: ErrorReason;
  /** Display name of the identity provider involved. */
  provider?: string;
  /** The app URL the sign-in was for (already validated against the configured domains): where "Try again" leads. */
  returnUrl?: string;
}

/**
 * `cancelled`: the provider sent the user back with `access_denied`. `provider-error`: with another error.
 * `client-rejected`: it refused our client credentials. `no-portal` / `no-provider`: the link names neither.
 */
export type ErrorReason = 'cancelled' | 'provider-error' | 'client-rejected' | 'no-portal' | 'no-provider';

/**
 * A dependency failed; nothing about the user is implied. `status` says whose: 503 for our own (DynamoDB, Secrets
 * Manager, STS), 502 for the identity provider. The message is public; `cause` and `detail` are logged only.
 */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  /** Private reason for the log, never sent to the client. */
  readonly detail: string;
  /** Public hints for the browser's error page. */
  hint: ErrorHint = {};
  constructor(
    what: string,
    cause: unknown,
    readonly status: 502 | 503 = 503,
    detail = `${what} failed`,
  ) {
    super(status === 503 ? 'Service temporarily unavailable' : 'The identity provider could not be reached', { cause });
    this.detail = detail;
  }
}
