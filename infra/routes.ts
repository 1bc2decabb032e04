import {
  DEFAULT_ROUTE_FUNCTION,
  type FunctionName,
  ROUTES,
  type RouteSpec,
  routePaths,
} from '../shared/config/routes.js';
import type { Config } from '../shared/config/types.js';

export { DEFAULT_ROUTE_FUNCTION };

/** One HTTP API route, in API Gateway's syntax (`{param}`). */
export interface ApiRoute {
  method: 'GET' | 'POST';
  path: string;
  fn: FunctionName;
  /** Throttled tighter than the stage (infra/limits.ts `loginThrottle`). */
  loginFlow: boolean;
}

/**
 * The routes of the table (`shared/config/routes.ts`) that need an explicit HTTP API route: those that do not go to
 * the default (login) function (the forward-auth check, the bearer API, the health check, the JWKS, the OAuth2
 * callback and back-channel logout), and the login-flow routes (the provider start), whose route key carries the
 * tighter throttling.
 */
export function apiRoutes(config: Config): ApiRoute[] {
  const routes: RouteSpec[] = Object.values(ROUTES);
  return routes
    .filter((r) => r.fn !== DEFAULT_ROUTE_FUNCTION || r.loginFlow)
    .flatMap((r) =>
      routePaths(config, r).map(({ path }) => ({ method: r.method, path, fn: r.fn, loginFlow: r.loginFlow === true })),
    );
}

/** An API route's key, as API Gateway names it (`GET /portals/{portal}/oauth2/callback`). */
export const routeKey = (r: Pick<ApiRoute, 'method' | 'path'>): string => `${r.method} ${r.path}`;
