/**
 * The forward-auth check's fast path (issue 11): a signed-in check with a valid session is answered without web
 * Request/Headers/Response objects, routing, URL parsing or a child logger, from parts prepared once per cached
 * session. Anything else (no or bad session cookie, a session due for renewal, a query string such as `?if=` or `?html=1`, the condition header,
 * a portal with an identity assertion or tailscaleWhois, a request the core would refuse) returns `undefined` and takes the core's
 * path, so both answer byte for byte the same (test/integration/verify-fast.test.ts compares them).
 */
import { parse } from 'hono/utils/cookie';
import { fillPath, ROUTES, routePaths } from '../config/routes.js';
import type { PortalConfig } from '../config/types.js';
import { cookiesWithout } from '../http/cookies.js';
import { readForwardedFrom } from '../http/forwarded.js';
import { matchHost } from '../http/hosts.js';
import { renewalState } from '../sessions/renewal.js';
import { isWellFormedToken } from '../sessions/tokens.js';
import type { Session, SessionReader } from '../sessions/types.js';
import { type CoreDeps, findProvider, STATE_COOKIE_PREFIX, sessionCookieName } from './context.js';
import { identityHeaders } from './identity-header-values.js';
import { authenticatedText } from './verify.js';

/** What the fast path reads of a request, from whichever front door delivered it. */
export interface RawRequest {
  method: string;
  /** Path and query as received (`/portals/main`, `/portals/main?if=...`). */
  target: string;
  /** A header as web `Headers.get` gives it (duplicates joined with ", "), by lower-case name; else undefined. */
  header(name: string): string | undefined;
  /** Scheme the request arrived with (the core's default when there is no X-Forwarded-Proto). */
  protocol: 'http:' | 'https:';
}

/** A 200 answer: headers lower-case and sorted by name, as web `Headers` iterates them. */
export interface RawAnswer {
  status: 200;
  headers: [string, string][];
  body: string;
}

interface Route {
  portal: PortalConfig;
  cookie: string;
}

/** The parts of a 200 that depend only on the session: computed at its first check, kept while it is cached. */
interface Prepared {
  /** Identity headers plus Content-Type and Cache-Control, sorted. */
  headers: [string, string][];
  body: string;
}

/** Header names the fast path writes per request: an identity header of the same name makes it step aside. */
const PER_REQUEST = new Set(['cookie', 'x-request-id', 'content-type', 'cache-control']);

const byName = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/**
 * @returns a function answering a signed-in check (plus `requestId`, which the caller sets as X-Request-Id), or
 *   `undefined` when the core must answer.
 */
export function createFastVerify(
  deps: CoreDeps & { sessions: SessionReader },
): (req: RawRequest, requestId: string) => Promise<RawAnswer | undefined> {
  const { config } = deps;
  // The check's paths from the one route table, each portal's filled in (exact matches only: anything the router
  // would normalise, such as a capitalised portal name, goes to the core).
  const routes = new Map<string, Route>();
  for (const { path, portal: fixed } of routePaths(config, ROUTES.verify, { aliases: true }))
    for (const portal of config.portals) {
      if (fixed !== undefined && fixed !== portal.name) continue;
      // An identity assertion is signed per check, and tailscaleWhois asks tailscaled: those portals keep the core's
      // path.
      if (portal.identityAssertion || portal.tailscaleWhois) continue;
      routes.set(fillPath(path, { portal: portal.name }), { portal, cookie: sessionCookieName(deps, portal) });
    }
  const prepared = new WeakMap<Session, Prepared | null>();
  const strip = [`${config.cookies.namePrefix}_`, `${STATE_COOKIE_PREFIX}_`];

  const prepare = (portal: PortalConfig, session: Session, displayName: string): Prepared | null => {
    try {
      // Through web Headers once, so names, duplicates and values come out exactly as the core's answer has them.
      const h = new Headers(identityHeaders(portal, session.provider, session.profile));
      for (const name of h.keys()) if (PER_REQUEST.has(name)) return null;
      h.set('Content-Type', 'text/plain; charset=utf-8');
      h.set('Cache-Control', 'no-store');
      return { headers: [...h].sort(byName), body: authenticatedText(session.profile, displayName) };
    } catch {
      return null;
    }
  };

  return async (req, requestId) => {
    if (req.method !== 'GET') return undefined;
    const route = routes.get(req.target);
    if (!route || req.header('x-forward-auth-if') !== undefined) return undefined;
    const cookieHeader = req.header('cookie');
    if (!cookieHeader) return undefined;
    const token = parse(cookieHeader, route.cookie)[route.cookie];
    if (token === undefined || !isWellFormedToken(token)) return undefined;
    // Without X-Forwarded-Host nor Host, the core falls back on its URL's host: leave that rare case to it.
    if (req.header('x-forwarded-host') === undefined && req.header('host') === undefined) return undefined;
    let domain: string | undefined;
    try {
      const fwd = readForwardedFrom((n) => req.header(n) ?? null, '', req.protocol);
      const host = matchHost(config, fwd.host);
      if (!host) return undefined;
      domain = host.domain;
    } catch {
      return undefined;
    }
    const now = deps.now();
    const session = await deps.sessions.get(token, now);
    if (!session || session.portal !== route.portal.name) return undefined;
    // Due for extension or re-validation (or past its deadline): the core decides between 200, renew and 401.
    if (renewalState(session, now) !== 'ok') return undefined;
    // A session issued for another configured domain: the core answers (303 to sign in there; DESIGN §3.12).
    if (session.domain !== undefined && domain !== undefined && session.domain !== domain) return undefined;
    let parts = prepared.get(session);
    if (parts === undefined) {
      const provider = findProvider(route.portal, session.provider);
      parts = provider ? prepare(route.portal, session, provider.displayName) : null;
      prepared.set(session, parts);
    }
    if (!parts) return undefined;
    // The two headers the core's middleware adds to every answer.
    const headers: [string, string][] = [
      ...parts.headers,
      ['x-request-id', requestId],
      ['x-content-type-options', 'nosniff'],
    ];
    if (route.portal.stripAuthCookies) {
      const appCookies = cookiesWithout(cookieHeader, strip);
      if (appCookies !== undefined) headers.push(['cookie', appCookies]);
    }
    return { status: 200, headers: headers.sort(byName), body: parts.body };
  };
}
