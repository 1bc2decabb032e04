import { createHash } from 'node:crypto';
import { ROUTES } from '../config/routes.js';
import { randomId } from '../crypto.js';
import { deleteCookie, setCookie } from '../http/cookies.js';
import { badRequest } from '../http/errors.js';
import { matchHost } from '../http/hosts.js';
import { type CoreDeps, cookieScope, type PortalRequest, portalUri, STATE_COOKIE_PREFIX } from './context.js';
import { type LogoutNotice, logoutQuery } from './logout-notice.js';

/**
 * The browser half of a login in progress (DESIGN §3.2): a public nonce that the sign-in URL repeats, and a binding
 * secret that only this cookie carries (its hash goes into the DynamoDB state record). The return URL travels in the
 * sign-in and provider URLs (`return=`), tied to the cookie by its id (a hash of the URL), so a state cookie is about
 * 90 bytes whatever the URL: a budget of a few KB then holds dozens of logins in progress, and even many parallel
 * tabs cannot push the Cookie header past proxy limits. Nothing is signed: a tampered cookie or URL can only send its
 * own browser to a URL on a configured domain, and the return URL is validated wherever it is read.
 */
export interface StateCookie {
  nonce: string;
  secret: string;
  /** seconds since epoch; the oldest cookies are evicted first */
  createdAt: number;
}

/**
 * All state cookies of one browser (every portal together, as the Cookie header carries them) stay within this many
 * bytes; the oldest are evicted to make room. Far below nginx's 8 KB header line and API Gateway's 10,240 bytes.
 */
export const STATE_COOKIE_BUDGET = 3072;

/** Longer return URLs fall back to the site root (verify) or are refused (sign-in, provider start, callback). */
export const MAX_RETURN_URL = 2048;

const STATE_ID = /^[A-Za-z0-9_-]{11}$/;
const VALUE = /^([A-Za-z0-9_-]{8,64})\.([A-Za-z0-9_-]{16,64})\.(\d{1,12})$/;

/** Upstream's state cookie id: first 8 bytes of SHA-256("tf_return_url:" + return URL), base64url (11 chars). */
export function stateCookieId(returnUrl: string): string {
  return createHash('sha256').update(`tf_return_url:${returnUrl}`).digest().subarray(0, 8).toString('base64url');
}

export function stateCookieName(portal: string, id: string): string {
  return `${STATE_COOKIE_PREFIX}_${portal}_${id}`;
}

export function encodeStateCookie(c: StateCookie): string {
  return `${c.nonce}.${c.secret}.${c.createdAt}`;
}

/** Parses a state cookie value; undefined for anything malformed (never throws). */
export function decodeStateCookie(value: string | undefined): StateCookie | undefined {
  const m = value === undefined ? null : VALUE.exec(value);
  if (!m) return undefined;
  return { nonce: m[1] as string, secret: m[2] as string, createdAt: Number(m[3]) };
}

/**
 * Whether the request can complete a login, i.e. is a top-level navigation. Fetch metadata decides where the browser
 * sends it (`Sec-Fetch-Mode: navigate`, `Sec-Fetch-Dest: document`); without it, anything that does not look like an
 * API client (see {@link isNonBrowserRequest}). Only these requests ever get a state cookie.
 */
export function isTopLevelNavigation(req: Request): boolean {
  const mode = req.headers.get('sec-fetch-mode');
  const dest = req.headers.get('sec-fetch-dest');
  if (mode !== null || dest !== null)
    return (mode === null || mode.toLowerCase() === 'navigate') && (dest === null || dest.toLowerCase() === 'document');
  return !isNonBrowserRequest(req);
}

/**
 * A browser opening a page (HTML in `Accept`, and a top-level navigation): it gets an HTML page where other clients
 * get upstream's text (the 403 of a failed condition, `P/profile`).
 */
export function isBrowserNavigation(req: Request): boolean {
  return (req.headers.get('accept') ?? '').includes('text/html') && isTopLevelNavigation(req);
}

/** Not a browser navigation: JSON without HTML in `Accept`, or an XMLHttpRequest. */
export function isNonBrowserRequest(req: Request): boolean {
  const accept = (req.headers.get('accept') ?? '').toLowerCase();
  if (accept.includes('application/json') && !accept.includes('text/html')) return true;
  return (req.headers.get('x-requested-with') ?? '').toLowerCase() === 'xmlhttprequest';
}

/** The `return=` query value: the return URL, base64url (a bounded 4/3 growth, where percent-encoding could triple). */
export function encodeReturnParam(returnUrl: string): string {
  return Buffer.from(returnUrl, 'utf8').toString('base64url');
}

/**
 * Reads `return=` and validates it like any client-made return URL ({@link checkReturnUrl}); undefined when absent.
 * @throws HttpError 400 when present but malformed, too long or not on a configured domain.
 */
export function readReturnParam(deps: CoreDeps, url: URL): string | undefined {
  const raw = url.searchParams.get('return');
  if (raw === null) return undefined;
  if (raw.length > Math.ceil((MAX_RETURN_URL * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(raw))
    throw badRequest('Return URL is invalid');
  return checkReturnUrl(deps, Buffer.from(raw, 'base64url').toString('utf8'));
}

/**
 * A return URL read back from anything the client made (query, cookie) or stored: at most {@link MAX_RETURN_URL}
 * bytes, http(s), no credentials, and a host on a configured domain. Returns it normalised (as `URL` prints it).
 * @throws HttpError 400 otherwise.
 */
export function checkReturnUrl(deps: CoreDeps, raw: string): string {
  if (Buffer.byteLength(raw, 'utf8') > MAX_RETURN_URL) throw badRequest('Return URL is too long');
  let target: URL;
  try {
    target = new URL(raw);
  } catch {
    throw badRequest('Return URL is invalid');
  }
  if (
    (target.protocol !== 'https:' && target.protocol !== 'http:') ||
    target.username ||
    target.password ||
    !matchHost(deps.config, target.host)
  )
    throw badRequest(
      'Return URL is not on a domain served by this auth server',
      `return URL host ${JSON.stringify(target.host)}`,
    );
  return target.href;
}

/**
 * `P/signin?[state=<id>~<nonce>&]return=<url>[&logout=1…]`: works with the state cookie, and starts a login without.
 * After a logout it carries the logout notice on (what the logged-out page says).
 */
export function signinUrl(
  deps: CoreDeps,
  pr: PortalRequest,
  returnUrl: string,
  state: { id: string; nonce: string } | undefined,
  logout: LogoutNotice | undefined,
): string {
  const q = `${state ? `state=${signinState.encode({ cookieId: state.id, nonce: state.nonce })}&` : ''}return=${encodeReturnParam(returnUrl)}`;
  return `${portalUri(deps, pr)}${ROUTES.signin.suffix}?${q}${logout ? `&${logoutQuery(logout)}` : ''}`;
}

/** The state cookies (of every portal) that the request carries: name, id-less, with their Cookie-header size. */
function allStateCookies(pr: PortalRequest): { name: string; bytes: number; createdAt: number }[] {
  const out: { name: string; bytes: number; createdAt: number }[] = [];
  for (const [name, value] of Object.entries(pr.cookies)) {
    if (!name.startsWith(`${STATE_COOKIE_PREFIX}_`)) continue;
    // Unreadable ones (old formats, tossed-in junk) count as the oldest, so they are evicted first.
    out.push({ name, bytes: cookieBytes(name, value), createdAt: decodeStateCookie(value)?.createdAt ?? -1 });
  }
  return out;
}

/** What `name=value` adds to a Cookie header, with its `; ` separator. */
function cookieBytes(name: string, value: string): number {
  return Buffer.byteLength(name) + Buffer.byteLength(value) + 3;
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

/**
 * Issues (or re-issues) the state cookie for a return URL, for a top-level navigation only. A still-valid cookie for
 * the same URL keeps its nonce, so repeated checks and parallel tabs never race. The oldest state cookies of every
 * portal are expired until all of them, the new one included, fit {@link STATE_COOKIE_BUDGET}.
 */
export function issueStateCookie(
  deps: CoreDeps,
  pr: PortalRequest,
  returnUrl: string,
): { id: string; cookie: StateCookie; setCookies: string[] } {
  const id = stateCookieId(returnUrl);
  const name = stateCookieName(pr.portal.name, id);
  const cookie = decodeStateCookie(pr.cookies[name]) ?? {
    nonce: randomId(12),
    secret: randomId(16),
    createdAt: Math.floor(deps.now() / 1000),
  };
  const value = encodeStateCookie(cookie);
  const scope = cookieScope(deps, pr.host.cookieDomain);
  const setCookies = [setCookie(name, value, pr.portal.authenticationTimeout / 1000 - 1, scope)];

  let total = cookieBytes(name, value);
  let full = false;
  const others = allStateCookies(pr)
    .filter((c) => c.name !== name)
    .sort((a, b) => b.createdAt - a.createdAt || a.name.localeCompare(b.name));
  // Newest first: keep them while they fit; the first that does not, and every older one, is expired.
  for (const c of others) {
    full ||= total + c.bytes > STATE_COOKIE_BUDGET;
    if (full) setCookies.push(deleteCookie(c.name, scope));
    else total += c.bytes;
  }
  return { id, cookie, setCookies };
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
