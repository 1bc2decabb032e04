/**
 * What every HTML page answer carries (upstream `setPageSecurityHeaders`), whatever renders it: the portal's pages
 * (shared/portal/security.ts) and the verify function's denial page (shared/routes/denied-page.ts), which must not
 * pull the portal in. Each page brings its own Content-Security-Policy, with a fresh nonce.
 */

/** A fresh CSP nonce: 16 random bytes, hex-encoded (upstream format). */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * `Content-Type: text/html; charset=utf-8`, `Cache-Control: no-store` (pages embed per-user data and a nonce), the
 * given CSP, `X-Frame-Options: DENY`, `Permissions-Policy: interest-cohort=()`, `X-Robots-Tag: noindex, nofollow` and
 * `X-Content-Type-Options: nosniff`.
 */
export function pageHeaders(csp: string): Headers {
  return new Headers({
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': csp,
    'X-Frame-Options': 'DENY',
    'Permissions-Policy': 'interest-cohort=()',
    'X-Robots-Tag': 'noindex, nofollow',
    'X-Content-Type-Options': 'nosniff',
  });
}
