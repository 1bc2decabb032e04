import { ROUTES } from '../config/routes.js';
import { notFound } from '../http/errors.js';
import { jwksResponse } from '../identity/assertion.js';
import { type ApiVerifyDeps, apiVerifyRoute } from '../routes/api-verify.js';
import type { CoreDeps } from '../routes/context.js';
import { type VerifyDeps, verifyRoute } from '../routes/verify.js';
import type { App } from './base.js';
import { findPortal, plainRoute, portalRoute } from './register.js';

/** The verify function's routes: the forward-auth check, the JWKS, the bearer API and the health check. Read-only. */
export function registerVerifyRoutes(app: App, deps: VerifyDeps & ApiVerifyDeps): void {
  portalRoute(app, deps, ROUTES.verify, (pr, c) => {
    c.set('forwardAuthCheck', true);
    return verifyRoute(deps, pr);
  });
  // The identity-assertion keys, for apps to verify the assertion (docs/identity-assertion.md).
  portalRoute(app, deps, ROUTES.jwks, (pr) => {
    const assertions = pr.portal.identityAssertion && deps.assertions?.get(pr.portal.name);
    if (!assertions) throw notFound('Identity assertions are not enabled for this portal');
    return jwksResponse(assertions);
  });
  plainRoute(app, deps, ROUTES.apiVerify, (c) =>
    apiVerifyRoute(deps, c.req.raw, findPortal(deps, c.req.param('portal') ?? '')),
  );
  registerHealth(app, deps);
}

export function registerHealth(app: App, deps: CoreDeps): void {
  plainRoute(app, deps, ROUTES.health, () => new Response(null, { status: 204 }));
}
