/**
 * The one route table: every HTTP route, the Lambda function that serves it on AWS and how it reports errors. Data
 * only (no handlers), so the Hono registrations (shared/app), the CDK routes and outputs (infra/) and the verify
 * function all read the same facts. Paths use `{param}` placeholders (API Gateway's syntax; `honoPath` converts).
 */
import type { Config } from './types.js';

export type FunctionName = 'verify' | 'login' | 'callback';

/**
 * How a route reports errors: upstream's `Error: <message>` text, `{"error"}` JSON, or `page`: the HTML error page
 * (with the request id) when the client is a browser and the app has a renderer, else text.
 */
export type ErrorFormat = 'text' | 'json' | 'page';

export interface RouteSpec {
  method: 'GET' | 'POST';
  /**
   * `portal`: `suffix` below `{basePath}/portals/{portal}`, and below `{basePath}` for the default portal.
   * `api`: `/api/portals/{portal}{suffix}`, also below `{basePath}` when there is one. `root`: exactly `suffix`.
   */
  scope: 'portal' | 'api' | 'root';
  suffix: string;
  /** Extra suffixes the app also answers (the root's trailing slash); front doors route only `suffix`. */
  aliases?: readonly string[];
  fn: FunctionName;
  format: ErrorFormat;
  /**
   * The route writes to the table for an anonymous caller (a login state, a session): the AWS stack gives it an
   * explicit route with tighter throttling (infra/limits.ts), even when it goes to the default function.
   */
  loginFlow?: true;
}

export const ROUTES = {
  verify: { method: 'GET', scope: 'portal', suffix: '', aliases: ['/'], fn: 'verify', format: 'text' },
  apiVerify: { method: 'GET', scope: 'api', suffix: '/verify', fn: 'verify', format: 'json' },
  health: { method: 'GET', scope: 'root', suffix: '/healthz', fn: 'verify', format: 'text' },
  /** The identity-assertion public keys: served by verify, which holds the key set (docs/identity-assertion.md). */
  jwks: { method: 'GET', scope: 'portal', suffix: '/.well-known/jwks.json', fn: 'verify', format: 'json' },
  signin: { method: 'GET', scope: 'portal', suffix: '/signin', fn: 'login', format: 'page' },
  providers: {
    method: 'GET',
    scope: 'portal',
    suffix: '/providers/{provider}',
    fn: 'login',
    format: 'page',
    loginFlow: true,
  },
  logout: { method: 'POST', scope: 'portal', suffix: '/logout', fn: 'login', format: 'page' },
  /** The post_logout_redirect_uri of RP-initiated logout. */
  loggedOut: { method: 'GET', scope: 'portal', suffix: '/logged-out', fn: 'login', format: 'page' },
  profile: { method: 'GET', scope: 'portal', suffix: '/profile', fn: 'login', format: 'text' },
  profileJson: { method: 'GET', scope: 'portal', suffix: '/profile.json', fn: 'login', format: 'json' },
  authenticated: { method: 'GET', scope: 'portal', suffix: '/authenticated', fn: 'login', format: 'page' },
  endSession: { method: 'POST', scope: 'portal', suffix: '/sessions/end', fn: 'login', format: 'page' },
  callback: {
    method: 'GET',
    scope: 'portal',
    suffix: '/oauth2/callback',
    fn: 'callback',
    format: 'page',
    loginFlow: true,
  },
  /**
   * Session extension and re-validation (`sessionMaxLifetime`, `revalidateInterval`): the check sends a browser here
   * when its session is due. The callback function serves it: the refresh-token grant needs the client credential.
   */
  renew: { method: 'GET', scope: 'portal', suffix: '/oauth2/renew', fn: 'callback', format: 'page' },
  /** OpenID Connect Back-Channel Logout: the provider's server calls it (the callback function reads its JWKS). */
  backchannelLogout: {
    method: 'POST',
    scope: 'portal',
    suffix: '/oauth2/backchannel-logout',
    fn: 'callback',
    format: 'json',
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;

/**
 * The function behind the front door's `$default` route: sign-in, providers, logout, profile, the "authenticated"
 * page, static assets and 404s, so a new login-side route needs no infrastructure change.
 */
export const DEFAULT_ROUTE_FUNCTION: FunctionName = 'login';

/** One concrete path of a route; `portal` is set on the default portal's short paths (no `{portal}` in them). */
export interface RoutePath {
  path: string;
  portal?: string;
}

/**
 * `{basePath}[/portals/{portal}]{suffix}`: the path of a portal's route, short (no `/portals/…`) when reached through
 * the default portal. The root of the default portal is `/` when there is no basePath.
 */
export function portalPath(config: Config, portal: string, short: boolean, suffix = ''): string {
  const path = `${config.server.basePath}${short ? '' : `/portals/${portal}`}${suffix}`;
  return path || '/';
}

/** Every path of a route, in registration order, without duplicates. `aliases: true` adds the app-only forms. */
export function routePaths(config: Config, route: RouteSpec, options: { aliases?: boolean } = {}): RoutePath[] {
  const suffixes = [route.suffix, ...(options.aliases ? (route.aliases ?? []) : [])];
  const bp = config.server.basePath;
  const out: RoutePath[] = [];
  const add = (p: RoutePath) => {
    if (!out.some((o) => o.path === p.path)) out.push(p);
  };
  for (const suffix of suffixes)
    if (route.scope === 'root') add({ path: suffix });
    else if (route.scope === 'api') {
      add({ path: `/api/portals/{portal}${suffix}` });
      if (bp) add({ path: `${bp}/api/portals/{portal}${suffix}` });
    } else add({ path: portalPath(config, '{portal}', false, suffix) });
  const def = config.defaultPortal;
  if (route.scope === 'portal' && def)
    for (const suffix of suffixes) add({ path: portalPath(config, def, true, suffix), portal: def });
  return out;
}

/** A path with its `{param}` placeholders filled (values are URL-encoded). */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

/** `{param}` → Hono's `:param`. */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
