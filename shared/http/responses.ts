/**
 * The response builders of the core: redirects, plain text and JSON, each `Cache-Control: no-store` by default
 * (answers depend on the caller's cookies; a shared cache must never replay one). HTML pages are built by
 * `portal/security.ts`'s `htmlResponse`, which adds the page security headers (CSP with the page's nonce).
 */

/** A redirect with an absolute Location and upstream's short text body. */
export function redirect(status: 303 | 307, location: string, body: string, setCookies: string[] = []): Response {
  const headers = new Headers({
    Location: location,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  for (const c of setCookies) headers.append('Set-Cookie', c);
  return new Response(`${body}: ${location}`, { status, headers });
}

/**
 * A plain-text answer. `Cache-Control: no-store` unless `extra` says otherwise: these answers depend on the caller's
 * cookies (the verify 200 carries identity headers), and a shared cache in front must never replay one to someone else.
 */
export function textResponse(status: number, body: string, extra?: HeadersInit, setCookies: string[] = []): Response {
  const headers = new Headers(extra);
  headers.set('Content-Type', 'text/plain; charset=utf-8');
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
  for (const c of setCookies) headers.append('Set-Cookie', c);
  return new Response(body, { status, headers });
}

/** A JSON answer (`no-store` unless `extra` says otherwise). */
export function jsonResponse(status: number, body: unknown, extra?: HeadersInit, setCookies: string[] = []): Response {
  const headers = new Headers(extra);
  headers.set('Content-Type', 'application/json; charset=utf-8');
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
  for (const c of setCookies) headers.append('Set-Cookie', c);
  return new Response(JSON.stringify(body), { status, headers });
}
