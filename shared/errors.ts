/**
 * Errors every room of the core may throw without knowing about HTTP. `shared/http/errors.ts` maps them to responses
 * in the one error funnel (`app.onError`).
 */

/**
 * A dependency failed; nothing about the user is implied. `status` says whose: 503 for our own (DynamoDB, Secrets
 * Manager, STS), 502 for the identity provider. The message is public; `cause` and `detail` are logged only.
 */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  /** Private reason for the log, never sent to the client. */
  readonly detail: string;
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
