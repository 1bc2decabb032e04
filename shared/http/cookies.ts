import { type CookieOptions, parse, serialize } from 'hono/utils/cookie';

/** Cookies of a request, by name (first occurrence wins, as in browsers' ordering of more specific cookies). */
export function readCookies(req: Request): Record<string, string> {
  const header = req.headers.get('cookie');
  return header ? parse(header) : {};
}

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
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
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
