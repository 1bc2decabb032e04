/**
 * One error hierarchy for the whole core. Handlers throw these; `errorResponse` maps them to HTTP in one place.
 * `message` is public (sent to clients); `cause` and `detail` are private (logged only).
 */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(message, options);
    this.detail = options?.detail;
  }
  /** Private reason for the log, never sent to the client. */
  readonly detail?: string;
}

export const badRequest = (message: string, detail?: string) => new HttpError(400, message, { detail });
export const unauthorized = (message: string, detail?: string) => new HttpError(401, message, { detail });
export const notFound = (message: string) => new HttpError(404, message);

/** A dependency (DynamoDB, the identity provider, Secrets Manager) failed; nothing about the user is implied. */
export class DependencyError extends HttpError {
  override readonly name = 'DependencyError';
  constructor(what: string, cause: unknown, status = 503) {
    super(status, status === 503 ? 'Service temporarily unavailable' : 'An internal error occurred', {
      cause,
      detail: `${what} failed`,
    });
  }
}

const INTERNAL = 'An internal error occurred';

/** The status and public message for any thrown value; unknown errors and 5xx messages are masked. */
export function publicError(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) {
    if (err.status >= 500 && err.status !== 503) return { status: err.status, message: INTERNAL };
    return { status: err.status, message: err.message };
  }
  return { status: 500, message: INTERNAL };
}

/** Renders an error as upstream does: `Error: <message>` as text, or `{"error": "<message>"}` as JSON. */
export function errorResponse(err: unknown, format: 'text' | 'json', headers?: HeadersInit): Response {
  const { status, message } = publicError(err);
  const h = new Headers(headers);
  if (format === 'json') {
    h.set('Content-Type', 'application/json; charset=utf-8');
    return new Response(JSON.stringify({ error: message }), { status, headers: h });
  }
  h.set('Content-Type', 'text/plain; charset=utf-8');
  return new Response(`Error: ${message}`, { status, headers: h });
}
