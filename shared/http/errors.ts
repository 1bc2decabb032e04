import { DependencyError, type ErrorHint } from '../errors.js';
import { jsonResponse, textResponse } from './responses.js';

/**
 * One error hierarchy for the whole core. Handlers throw these; `errorResponse` maps them to HTTP in one place.
 * `message` is public (sent to clients); `cause` and `detail` are private (logged only).
 */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown; detail?: string; hint?: ErrorHint },
  ) {
    super(message, options);
    this.detail = options?.detail;
    this.hint = options?.hint ?? {};
  }
  /** Public hints for the browser's error page (the plain-words reason, the provider, where to try again). */
  hint: ErrorHint;
  /** Private reason for the log, never sent to the client. */
  readonly detail?: string;
}

export const badRequest = (message: string, detail?: string) => new HttpError(400, message, { detail });
export const unauthorized = (message: string, detail?: string) => new HttpError(401, message, { detail });
export const notFound = (message: string, hint?: ErrorHint) => new HttpError(404, message, { hint });

const INTERNAL = 'An internal error occurred';

/** The private reason an error carries for the access log, if any. */
export function errorDetail(err: unknown): string | undefined {
  return err instanceof HttpError || err instanceof DependencyError ? err.detail : undefined;
}

/** The page hints of any thrown value (none for unknown errors). */
export function errorHint(err: unknown): ErrorHint {
  return err instanceof HttpError || err instanceof DependencyError ? err.hint : {};
}

/** Adds page hints to one of our errors (others are left alone) and returns it, for `throw withHint(…)`. */
export function withHint<E>(err: E, hint: ErrorHint): E {
  if (err instanceof HttpError || err instanceof DependencyError) err.hint = { ...err.hint, ...hint };
  return err;
}

/**
 * The status and public message for any thrown value; unknown errors and 5xx messages are masked, except a failed
 * dependency's (it says only which side failed).
 */
export function publicError(err: unknown): { status: number; message: string } {
  if (err instanceof DependencyError) return { status: err.status, message: err.message };
  if (err instanceof HttpError) {
    if (err.status >= 500 && err.status !== 503) return { status: err.status, message: INTERNAL };
    return { status: err.status, message: err.message };
  }
  return { status: 500, message: INTERNAL };
}

/** Renders an error as upstream does: `Error: <message>` as text, or `{"error": "<message>"}` as JSON. */
export function errorResponse(err: unknown, format: 'text' | 'json', headers?: HeadersInit): Response {
  const { status, message } = publicError(err);
  // An error is about this request (a missing header, a denied condition): never let a cache in front replay it; the
  // builders add `no-store` unless `headers` says otherwise.
  return format === 'json'
    ? jsonResponse(status, { error: message }, headers)
    : textResponse(status, `Error: ${message}`, headers);
}
