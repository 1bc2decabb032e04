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
}

/**
 * The routes of the table (`shared/config/routes.ts`) that do not go to the default (login) function: the forward-auth
 * check, the bearer API and the health check (verify), and the OAuth2 callback.
 */
export function apiRoutes(config: Config): ApiRoute[] {
  const routes: RouteSpec[] = Object.values(ROUTES);
  return routes
    .filter((r) => r.fn !== DEFAULT_ROUTE_FUNCTION)
    .flatMap((r) => routePaths(config, r).map(({ path }) => ({ method: r.method, path, fn: r.fn })));
}
