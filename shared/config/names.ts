import { isIP } from 'node:net';

/** Portal and provider names (upstream regex), lower-cased after validation. */
export const NAME_RE = /^[A-Za-z][A-Za-z0-9\-_.]{1,39}$/;

/**
 * A DNS host name: letter/digit labels with inner hyphens, at most 253 chars. Unlike upstream's validator this
 * accepts punycode TLDs (`xn--p1ai`), which upstream rejects by accident (its Appendix A #16).
 */
const HOSTNAME_RE =
  /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function isHostname(host: string): boolean {
  return HOSTNAME_RE.test(host) && isIP(host) === 0;
}

/** Go's `textproto.CanonicalMIMEHeaderKey` for valid tokens: `x-forwarded-user` → `X-Forwarded-User`. */
export function canonicalHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((part) => (part ? part[0]?.toUpperCase() + part.slice(1) : part))
    .join('-');
}

export const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** Hosts for which plain-HTTP provider endpoints are acceptable (DESIGN §3.10). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // Only `localhost` itself: `*.localhost` names are not guaranteed to resolve to loopback by every resolver.
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}
