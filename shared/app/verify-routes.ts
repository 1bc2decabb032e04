import { type ApiVerifyDeps, apiVerifyRoute } from '../routes/api-verify.js';
import type { CoreDeps } from '../routes/context.js';
import { type VerifyDeps, verifyRoute } from '../routes/verify.js';
import { type App, findPortal, plainRoute, portalRoute } from './base.js';

/** The verify function's routes: the forward-auth check, the bearer API and the health check. Read-only. */
export function registerVerifyRoutes(app: App, deps: VerifyDeps & ApiVerifyDeps): void {
  portalRoute(app, deps, 'GET', ['', '/'], 'text', (pr, c) => {
    c.set('forwardAuthCheck', true);
    return verifyRoute(deps, pr);
  });
  const bp = deps.config.server.basePath;
  plainRoute(app, 'GET', ['/api/portals/:portal/verify', `${bp}/api/portals/:portal/verify`], 'json', (c) =>
    apiVerifyRoute(deps, c.req.raw, findPortal(deps, c.req.param('portal') ?? '')),
  );
  registerHealth(app, deps);
}

export function registerHealth(app: App, _deps: CoreDeps): void {
  plainRoute(app, 'GET', ['/healthz'], 'text', () => new Response(null, { status: 204 }));
}
