import { portalPath } from '../config/routes.js';
import type { Config, PortalConfig, ProviderConfig } from '../config/types.js';
import { type CookieScope, readCookies } from '../http/cookies.js';
import { badRequest, HttpError } from '../http/errors.js';
import { type ForwardedRequest, readForwarded } from '../http/forwarded.js';
import { type HostMatch, matchHost } from '../http/hosts.js';
import type { Logger } from '../log.js';

/** What every use case needs. Built once per process (module scope on Lambda) and injectable in tests. */
export interface CoreDeps {
  config: Config;
  log: Logger;
  /** ms since epoch */
  now: () => number;
}

/** A request to one portal's routes, with the forwarded headers already read and validated. */
export interface PortalRequest {
  req: Request;
  url: URL;
  portal: PortalConfig;
  /** Reached through the `defaultPortal` short routes (no `/portals/{portal}` segment). */
  shortRoute: boolean;
  fwd: ForwardedRequest;
  host: HostMatch;
  cookies: Record<string, string>;
  requestId: string;
  log: Logger;
}

export const STATE_COOKIE_PREFIX = 'tf_state';

/**
 * Reads forwarded headers and matches the host against `server.domains`.
 * @throws HttpError 400 for bad forwarded headers or a host that is not ours (upstream: 500, and no cookies).
 */
export function portalRequest(
  deps: CoreDeps,
  req: Request,
  portal: PortalConfig,
  shortRoute: boolean,
  requestId: string,
  log: Logger,
): PortalRequest {
  const url = new URL(req.url);
  const fwd = readForwarded(req, url);
  const host = matchHost(deps.config, fwd.host);
  if (!host)
    throw badRequest(
      'Request host is not associated with this auth server',
      `host ${JSON.stringify(fwd.host)} matches no server.domains entry`,
    );
  return { req, url, portal, shortRoute, fwd, host, cookies: readCookies(req), requestId, log };
}

/** `{scheme}://{authHost}{basePath}[/portals/{portal}]` (upstream §2.3). */
export function portalUri(deps: CoreDeps, pr: PortalRequest): string {
  const short = pr.shortRoute && deps.config.defaultPortal === pr.portal.name;
  // The short root alone is `/`; below it the suffixes bring their own slash.
  const path = portalPath(deps.config, pr.portal.name, short);
  return `${pr.fwd.scheme}://${pr.host.authHost}${path === '/' ? '' : path}`;
}

export function sessionCookieName(deps: CoreDeps, portal: PortalConfig): string {
  return `${deps.config.cookies.namePrefix}_${portal.name}`;
}

export function cookieScope(deps: CoreDeps, cookieDomain: string): CookieScope {
  return { domain: cookieDomain, secure: !deps.config.cookies.insecure };
}

export function findProvider(portal: PortalConfig, name: string): ProviderConfig | undefined {
  const lower = name.toLowerCase();
  return portal.providers.find((p) => p.name === lower);
}

/** Upstream's truthy query values: 1, true, t, on, yes, y (case-insensitive). */
export function isTruthy(value: string | null | undefined): boolean {
  return value != null && ['1', 'true', 't', 'on', 'yes', 'y'].includes(value.toLowerCase());
}

/**
 * A state-changing POST from a browser (logout, log out everywhere, ending a session) must come from one of our own
 * pages: `Origin` (sent by every current browser on a POST) must be the auth host, and `Sec-Fetch-Site` must be
 * `same-origin` or `none`. SameSite=Lax already keeps other sites' forms from carrying the cookie; this also stops
 * sibling sub-domains (same site, other origin). A request with neither header is not a browser's (curl, a script
 * holding the cookie) and is let through: it could not have been forged by another page.
 * @throws HttpError 403 when the request comes from another origin.
 */
export function assertSameOrigin(deps: CoreDeps, pr: PortalRequest): void {
  const origin = pr.req.headers.get('origin');
  const site = pr.req.headers.get('sec-fetch-site');
  const expected = new URL(portalUri(deps, pr)).origin;
  if ((origin !== null && origin !== expected) || (site !== null && site !== 'same-origin' && site !== 'none'))
    throw new HttpError(403, 'Cross-origin request refused', {
      detail: `origin ${JSON.stringify(origin?.slice(0, 100))}, sec-fetch-site ${JSON.stringify(site)}`,
    });
}
