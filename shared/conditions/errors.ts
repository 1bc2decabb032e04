/**
 * A condition that cannot be compiled: a syntax error, an unsupported function or operator, a wrong number of
 * arguments, or an input that breaks a safety limit. Callers answer it with 400 `Invalid authorization rules`.
 */
export class ConditionError extends Error {
  override readonly name = 'ConditionError';
  /** 0-based offset into the condition source, in UTF-16 code units (what `String.prototype.slice` uses). */
  readonly position: number;
  /** The message without the position suffix, for callers that render the position themselves. */
  readonly reason: string;

  constructor(reason: string, position: number) {
    super(`${reason} (at position ${position})`);
    this.reason = reason;
    this.position = position;
  }
}
