/**
 * Registration of the route table's entries on a Hono app (shared/config/routes.ts): every path a route has, the
 * portal lookup and forwarded-header checks, and the route's error format for the funnel in `base.ts`.
 */
import type { Context } from 'hono';
import { honoPath, portalPath, type RouteSpec, routePaths } from '../config/routes.js';
import type { PortalConfig } from '../config/types.js';
import { notFound } from '../http/errors.js';
import { type CoreDeps, type PortalRequest, portalRequest } from '../routes/context.js';
import type { App, Env } from './base.js';

export function findPortal(deps: CoreDeps, name: string): PortalConfig {
  const lower = name.toLowerCase();
  const portal = deps.config.portals.find((p) => p.name === lower);
  if (!portal) throw notFound('Portal not found', { reason: 'no-portal' });
  return portal;
}

export type PortalHandler = (pr: PortalRequest, c: Context<Env>) => Response | Promise<Response>;

/**
 * Registers a portal route of the table (`shared/config/routes.ts`) under every path it has: the long form, its
 * aliases and the default portal's short form. Errors reach the funnel in the route's format.
 */
export function portalRoute(app: App, deps: CoreDeps, route: RouteSpec, handler: PortalHandler): void {
  for (const { path, portal } of routePaths(deps.config, route, { aliases: true }))
    app.on(route.method, honoPath(path), (c) => {
      c.set('errorFormat', route.format);
      const p = findPortal(deps, portal ?? c.req.param('portal') ?? '');
      // Only an HTML error page links back to the portal (the verify check's errors are text).
      if (route.format === 'page')
        c.set('portal', {
          name: p.name,
          displayName: p.displayName,
          path: portalPath(deps.config, p.name, portal !== undefined),
        });
      return handler(portalRequest(deps, c.req.raw, p, portal !== undefined, c.get('requestId'), c.get('log')), c);
    });
}

/** Registers a route of the table that is not under a portal prefix (API, health). */
export function plainRoute(
  app: App,
  deps: CoreDeps,
  route: RouteSpec,
  handler: (c: Context<Env>) => Response | Promise<Response>,
): void {
  for (const { path } of routePaths(deps.config, route, { aliases: true }))
    app.on(route.method, honoPath(path), (c) => {
      c.set('errorFormat', route.format);
      return handler(c);
    });
}
