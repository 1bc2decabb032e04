import { type CookieOptions, parse, serialize } from 'hono/utils/cookie';

/** RFC 7230 token: the only cookie names net/http accepts and hono's serializer writes back. */
const COOKIE_NAME_RE = /^[\w!#$%&'*.^`|~+-]+$/;

/**
 * Cookies of a request, by name (first occurrence wins, as in browsers' ordering of more specific cookies). Names that
 * are not RFC 7230 tokens are dropped, as net/http does: hono's parser is laxer than its serializer, so such a name
 * (say `tf_state_main_(x`, tossed in from a sibling sub-domain) would make expiring it throw.
 */
export function readCookies(req: Request): Record<string, string> {
  const header = req.headers.get('cookie');
  if (!header) return {};
  const out: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(parse(header))) if (COOKIE_NAME_RE.test(name)) out[name] = value;
  return out;
}

/** Browsers cap Max-Age at 400 days (RFC 6265bis) and hono's serializer throws above it; long lifetimes are capped. */
const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 3600;

export interface CookieScope {
  /** Cookie `Domain`; '' for a host-only cookie. */
  domain: string;
  secure: boolean;
}

/**
 * A Set-Cookie value with upstream's attributes: `Path=/`, optional `Domain`, `Max-Age`, `HttpOnly`, `Secure` unless
 * `cookies.insecure`, `SameSite=Lax`. hono's serializer refuses names and attributes that would break the header.
 */
export function setCookie(name: string, value: string, maxAgeSeconds: number, scope: CookieScope): string {
  const opts: CookieOptions = {
    path: '/',
    maxAge: Math.min(MAX_COOKIE_AGE_SECONDS, Math.max(0, Math.floor(maxAgeSeconds))),
    httpOnly: true,
    sameSite: 'Lax',
  };
  if (scope.domain) opts.domain = scope.domain;
  if (scope.secure) opts.secure = true;
  return serialize(name, value, opts);
}

/** An expiring Set-Cookie (empty value, `Max-Age=0`) for the same name and scope. */
export function deleteCookie(name: string, scope: CookieScope): string {
  return setCookie(name, '', 0, scope);
}

/**
 * The `Cookie` request header without every cookie whose name starts with one of `prefixes`; the others are kept
 * byte for byte and in order. `undefined` when nothing is left. Splits on `;` exactly as browsers join cookies and
 * never decodes values, so an app's cookie arrives as the browser sent it.
 */
export function cookiesWithout(header: string | null, prefixes: readonly string[]): string | undefined {
  if (!header) return undefined;
  const kept: string[] = [];
  for (const part of header.split(';')) {
    const pair = part.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    if (!prefixes.some((p) => name.startsWith(p))) kept.push(pair);
  }
  return kept.length > 0 ? kept.join('; ') : undefined;
}
