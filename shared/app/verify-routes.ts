import { ROUTES } from '../config/routes.js';
import { type ApiVerifyDeps, apiVerifyRoute } from '../routes/api-verify.js';
import type { CoreDeps } from '../routes/context.js';
import { type VerifyDeps, verifyRoute } from '../routes/verify.js';
import type { App } from './base.js';
import { findPortal, plainRoute, portalRoute } from './register.js';

/** The verify function's routes: the forward-auth check, the bearer API and the health check. Read-only. */
export function registerVerifyRoutes(app: App, deps: VerifyDeps & ApiVerifyDeps): void {
  portalRoute(app, deps, ROUTES.verify, (pr, c) => {
    c.set('forwardAuthCheck', true);
    return verifyRoute(deps, pr);
  });
  plainRoute(app, deps, ROUTES.apiVerify, (c) =>
    apiVerifyRoute(deps, c.req.raw, findPortal(deps, c.req.param('portal') ?? '')),
  );
  registerHealth(app, deps);
}

export function registerHealth(app: App, deps: CoreDeps): void {
  plainRoute(app, deps, ROUTES.health, () => new Response(null, { status: 204 }));
}
