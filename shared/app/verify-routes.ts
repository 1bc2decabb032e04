import { ROUTES } from '../config/routes.js';
import { notFound, unauthorized } from '../http/errors.js';
import { jwksResponse } from '../identity/assertion.js';
import { type ApiVerifyDeps, apiVerifyRoute } from '../routes/api-verify.js';
import type { CoreDeps } from '../routes/context.js';
import { type VerifyDeps, verifyRoute } from '../routes/verify.js';
import type { App } from './base.js';
import { findPortal, plainRoute, portalRoute } from './register.js';

export interface VerifyRoutesDeps extends VerifyDeps, ApiVerifyDeps {
  /**
   * `server.tlsClientAuth` (standalone): whether the request's connection presented a client certificate that
   * verified, from the server's bindings (`c.env`). Set only when client certificates are required.
   */
  clientCertificate?: (env: unknown) => boolean;
}

/** The verify function's routes: the forward-auth check, the JWKS, the bearer API and the health check. Read-only. */
export function registerVerifyRoutes(app: App, deps: VerifyRoutesDeps): void {
  portalRoute(app, deps, ROUTES.verify, (pr, c) => {
    c.set('forwardAuthCheck', true);
    // Upstream checks the certificate on the forward-auth check only: browsers reach the other routes without one.
    if (deps.clientCertificate && !deps.clientCertificate(c.env)) throw unauthorized('Client certificate not provided');
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
