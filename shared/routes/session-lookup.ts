import type { ProviderConfig } from '../config/types.js';
import { deleteCookie } from '../http/cookies.js';
import { renewalState } from '../sessions/renewal.js';
import { isWellFormedToken } from '../sessions/tokens.js';
import type { Session, SessionReader } from '../sessions/types.js';
import { type CoreDeps, cookieScope, findProvider, type PortalRequest, sessionCookieName } from './context.js';

export interface SessionLookup {
  session?: Session;
  provider?: ProviderConfig;
  /** The cookie value of `session` (to key per-session caches by its hash; never logged). */
  token?: string;
  /** Set-Cookie values clearing a session cookie that is malformed, unknown, revoked or expired. */
  clear: string[];
}

export interface LookupOptions {
  /** Bypass the verify cache (`SessionReader.get`). */
  fresh?: boolean;
  /**
   * Also return a session past its re-validation deadline (`revalidateInterval`): the check and the renew route
   * decide what to do with it. Elsewhere it counts as no session until it is re-validated.
   */
  unvalidated?: boolean;
}

/**
 * The portal session of a request. A session only counts for the portal it was created in, while its provider is
 * still configured there, and under the configured domain it was issued for: a browser may hold one session cookie
 * per nested domain (`example.com` and `sub.example.com`), so every cookie of that name is tried, in header order.
 * Anything else clears the cookie (malformed ones are logged as suspicious), except a session of another domain: that
 * cookie belongs to the other domain, which still accepts it.
 */
export async function currentSession(
  deps: CoreDeps & { sessions: SessionReader },
  pr: PortalRequest,
  options: LookupOptions = {},
): Promise<SessionLookup> {
  const name = sessionCookieName(deps, pr.portal);
  const tokens = sessionTokens(pr, name);
  if (tokens.length === 0) return { clear: [] };
  let foreign: string | undefined;
  for (const token of tokens) {
    if (!isWellFormedToken(token)) {
      pr.log.warn('Session cookie may be malformed or tampered with');
      continue;
    }
    const now = deps.now();
    const session = await deps.sessions.get(token, now, options.fresh ? { fresh: true } : undefined);
    const provider = session?.portal === pr.portal.name ? findProvider(pr.portal, session.provider) : undefined;
    if (!session || !provider) continue;
    // Past its re-validation deadline a session counts only where it can be renewed; its cookie stays for that.
    if (!options.unvalidated && renewalState(session, now) === 'required') return { clear: [] };
    // Sessions stored before `domain` existed, and hosts outside configured domains, are not domain-bound.
    if (session.domain !== undefined && pr.host.domain !== undefined && session.domain !== pr.host.domain) {
      foreign = session.domain;
      continue;
    }
    return { session, provider, token, clear: [] };
  }
  if (foreign !== undefined) {
    pr.log.warn('Session was issued for another domain; not accepted here', {
      issuedFor: foreign,
      domain: pr.host.domain,
    });
    return { clear: [] };
  }
  return { clear: [deleteCookie(name, cookieScope(deps, pr.host.cookieDomain))] };
}

/** Every value of the session cookie, in header order (usually one: the common case costs one string search). */
function sessionTokens(pr: PortalRequest, name: string): string[] {
  const first = pr.cookies[name];
  if (first === undefined) return [];
  const header = pr.req.headers.get('cookie') ?? '';
  const needle = `${name}=`;
  if (header.indexOf(needle) === header.lastIndexOf(needle)) return [first];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const pair = part.trim();
    if (pair.startsWith(needle)) values.push(pair.slice(needle.length));
  }
  return values.length > 0 ? values : [first];
}
