import { createHash } from 'node:crypto';
import { deleteCookie, setCookie } from '../http/cookies.js';
import { type CoreDeps, cookieScope, type PortalRequest, STATE_COOKIE_PREFIX } from './context.js';

/**
 * The browser half of a login in progress (DESIGN §3.2): the return URL, a public nonce that the sign-in URL
 * repeats, and a binding secret that only this cookie carries (its hash goes into the DynamoDB state record).
 * Nothing is signed: a tampered cookie can only send its own browser to a URL on a configured domain, and the
 * return URL is validated again before any state record is written.
 */
export interface StateCookie {
  returnUrl: string;
  nonce: string;
  secret: string;
  /** seconds since epoch; used to drop the oldest cookies */
  createdAt: number;
}

/** At most this many state cookies per portal, so request headers stay far below API Gateway's 10 KB. */
export const MAX_STATE_COOKIES = 4;

const B64URL = /^[A-Za-z0-9_-]+$/;
const STATE_ID = /^[A-Za-z0-9_-]{11}$/;

/** Upstream's state cookie id: first 8 bytes of SHA-256("tf_return_url:" + return URL), base64url (11 chars). */
export function stateCookieId(returnUrl: string): string {
  return createHash('sha256').update(`tf_return_url:${returnUrl}`).digest().subarray(0, 8).toString('base64url');
}

export function stateCookieName(portal: string, id: string): string {
  return `${STATE_COOKIE_PREFIX}_${portal}_${id}`;
}

export function encodeStateCookie(c: StateCookie): string {
  return Buffer.from(JSON.stringify({ u: c.returnUrl, n: c.nonce, k: c.secret, t: c.createdAt })).toString('base64url');
}

/** Parses a state cookie value; undefined for anything malformed (never throws). */
export function decodeStateCookie(value: string | undefined): StateCookie | undefined {
  if (!value || value.length > 6000 || !B64URL.test(value)) return undefined;
  try {
    const o = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof o.u !== 'string' || typeof o.n !== 'string' || typeof o.k !== 'string' || typeof o.t !== 'number')
      return undefined;
    if (!B64URL.test(o.n) || !B64URL.test(o.k)) return undefined;
    return { returnUrl: o.u, nonce: o.n, secret: o.k, createdAt: o.t };
  } catch {
    return undefined;
  }
}

/** All state cookies of a portal present in the request, by id. */
export function stateCookies(pr: PortalRequest): Map<string, string> {
  const prefix = `${STATE_COOKIE_PREFIX}_${pr.portal.name}_`;
  const out = new Map<string, string>();
  // The id is exactly 11 base64url chars, so portal `main` never claims the cookies of portal `main_x`.
  for (const [name, value] of Object.entries(pr.cookies)) {
    const id = name.slice(prefix.length);
    if (name.startsWith(prefix) && STATE_ID.test(id)) out.set(id, value);
  }
  return out;
}

/** Set-Cookie values expiring every state cookie of the portal that the request carries. */
export function deleteAllStateCookies(deps: CoreDeps, pr: PortalRequest): string[] {
  return [...stateCookies(pr).keys()].map((id) =>
    deleteCookie(stateCookieName(pr.portal.name, id), cookieScope(deps, pr.host.cookieDomain)),
  );
}

/** Set-Cookie for one state cookie (Max-Age = authenticationTimeout − 1 s, as upstream). */
export function writeStateCookie(
  deps: CoreDeps,
  pr: PortalRequest,
  id: string,
  c: StateCookie,
  cookieDomain: string,
): string {
  return setCookie(
    stateCookieName(pr.portal.name, id),
    encodeStateCookie(c),
    pr.portal.authenticationTimeout / 1000 - 1,
    cookieScope(deps, cookieDomain),
  );
}

/** Expiring Set-Cookies for the oldest state cookies, so that with `keepId` added at most MAX_STATE_COOKIES remain. */
export function pruneStateCookies(deps: CoreDeps, pr: PortalRequest, keepId: string, cookieDomain: string): string[] {
  const others = [...stateCookies(pr).entries()]
    .filter(([id]) => id !== keepId)
    .map(([id, v]) => ({ id, t: decodeStateCookie(v)?.createdAt ?? 0 }))
    .sort((a, b) => b.t - a.t);
  return others
    .slice(MAX_STATE_COOKIES - 1)
    .map(({ id }) => deleteCookie(stateCookieName(pr.portal.name, id), cookieScope(deps, cookieDomain)));
}

/**
 * The two `~`-joined state values of a login. The sign-in state (`?state=` on the sign-in and provider-start URLs)
 * names the state cookie and repeats its public nonce; the OAuth `state` sent to the provider keeps upstream's
 * `<provider>~<cookie id>~<state id>` shape. Decoders return undefined for anything but exactly those parts.
 */
export const signinState = {
  encode: (s: { cookieId: string; nonce: string }): string => `${s.cookieId}~${s.nonce}`,
  decode(value: string): { cookieId: string; nonce: string } | undefined {
    const [cookieId, nonce, ...rest] = value.split('~');
    return cookieId && nonce && rest.length === 0 ? { cookieId, nonce } : undefined;
  },
};

export const oauthState = {
  encode: (s: { provider: string; cookieId: string; stateId: string }): string =>
    `${s.provider}~${s.cookieId}~${s.stateId}`,
  decode(value: string): { provider: string; cookieId: string; stateId: string } | undefined {
    const [provider, cookieId, stateId, ...rest] = value.split('~');
    return provider && cookieId && stateId && rest.length === 0 ? { provider, cookieId, stateId } : undefined;
  },
};
