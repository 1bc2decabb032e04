/**
 * Security headers for the HTML pages (upstream `setPageSecurityHeaders`): a per-response nonce-based CSP plus the
 * legacy/auxiliary headers. No HTML here, so routes that only need {@link htmlResponse} stay light.
 */
import { pageHeaders } from '../http/page-headers.js';
import type { Backgrounds } from './pages.js';

// `HeadersInit` is a DOM-lib global; this project compiles against Node's types only, which expose Headers but not it.
type HeadersInit = ConstructorParameters<typeof Headers>[0];

/**
 * The CSP source expression for an image URL, following upstream `getCSPOriginFromUrl`: `https://host[:port]` for
 * https URLs, bare `host[:port]` for any other scheme (so http images are allowed over either scheme), `''` for
 * relative, empty or unparsable URLs (those are covered by `'self'`). IPv6 hosts stay bracketed. Unlike Go's
 * `url.Parse`, WHATWG parsing lower-cases the host and drops a port that is the scheme's default; both are
 * equivalent in a CSP source.
 */
export function cspOrigin(url: string): string {
  let u: URL;
  try {
    // Go treats `//host/path` as a host-only URL without a scheme; WHATWG needs a scheme to parse it.
    u = new URL(url.startsWith('//') ? `http:${url}` : url);
  } catch {
    return '';
  }
  if (u.host === '') return '';
  if (u.protocol === 'https:' && !url.startsWith('//')) return `https://${u.host}`;
  return u.host;
}

/** The `img-src` extra sources for a portal's backgrounds: large first, then medium, without duplicates or blanks. */
export function backgroundOrigins(backgrounds: Backgrounds | undefined): string[] {
  const out: string[] = [];
  for (const url of [backgrounds?.large, backgrounds?.medium]) {
    const origin = url ? cspOrigin(url) : '';
    if (origin !== '' && !out.includes(origin)) out.push(origin);
  }
  return out;
}

/**
 * The page Content-Security-Policy value: upstream's directive list and order, plus `base-uri 'none'` (a `<base>`
 * injected into a page would otherwise re-point its relative URLs and form actions).
 */
export function pageCsp(nonce: string, backgrounds?: Backgrounds): string {
  const img = ["'self'", ...backgroundOrigins(backgrounds)].join(' ');
  return (
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self' 'nonce-${nonce}'; img-src ${img}; ` +
    `font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'`
  );
}

/**
 * Wraps a rendered page in a Response with upstream's page security headers: CSP
 * `default-src 'none'; script-src 'nonce-<n>'; style-src 'self' 'nonce-<n>'; img-src 'self'[ <bg origins>];
 * font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'`, `X-Frame-Options: DENY`,
 * `Permissions-Policy: interest-cohort=()`, `X-Robots-Tag: noindex, nofollow`, `X-Content-Type-Options: nosniff`, plus
 * `Content-Type: text/html; charset=utf-8` and `Cache-Control: no-store` (pages embed per-user data and a nonce).
 * `o.headers` are applied last (Set-Cookie values are appended, others replace the defaults).
 */
export function htmlResponse(
  html: string,
  o: { status?: number; nonce: string; backgrounds?: Backgrounds; headers?: HeadersInit },
): Response {
  const headers = pageHeaders(pageCsp(o.nonce, o.backgrounds));
  if (o.headers) {
    for (const [name, value] of new Headers(o.headers)) {
      if (name === 'set-cookie') headers.append(name, value);
      else headers.set(name, value);
    }
  }
  return new Response(html, { status: o.status ?? 200, headers });
}
