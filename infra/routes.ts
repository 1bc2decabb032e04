import type { FunctionName } from '../functions/config-asset.js';
import type { Config } from '../shared/config/types.js';

/** One HTTP API route, in API Gateway's syntax (`{param}`). */
export interface ApiRoute {
  method: 'GET' | 'POST';
  path: string;
  fn: FunctionName;
}

/**
 * The function that serves the `$default` route: sign-in, providers, logout, profile, the "authenticated" page,
 * static assets and 404s. A new login-side route therefore needs no infrastructure change.
 */
export const DEFAULT_ROUTE_FUNCTION: FunctionName = 'login';

/**
 * The routes that do not go to the default (login) function: the forward-auth check, the bearer API and the health
 * check (verify), and the OAuth2 callback. Mirrors `shared/app/verify-routes.ts` and `callback-routes.ts`.
 */
export function apiRoutes(config: Config): ApiRoute[] {
  const bp = config.server.basePath;
  const routes: ApiRoute[] = [
    { method: 'GET', path: `${bp}/portals/{portal}`, fn: 'verify' },
    { method: 'GET', path: '/api/portals/{portal}/verify', fn: 'verify' },
    { method: 'GET', path: '/healthz', fn: 'verify' },
    { method: 'GET', path: `${bp}/portals/{portal}/oauth2/callback`, fn: 'callback' },
  ];
  if (bp) routes.push({ method: 'GET', path: `${bp}/api/portals/{portal}/verify`, fn: 'verify' });
  if (config.defaultPortal)
    routes.push(
      { method: 'GET', path: bp || '/', fn: 'verify' },
      { method: 'GET', path: `${bp}/oauth2/callback`, fn: 'callback' },
    );
  return routes;
}
