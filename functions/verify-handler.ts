/**
 * The verify function's handler, built from what a container reads at cold start (the bench builds it around another
 * store). `verify.ts` is the Lambda entry point.
 */
import { createApp, type RequestMetrics } from '../shared/app/base.js';
import { registerVerifyRoutes } from '../shared/app/verify-routes.js';
import { ConditionCache } from '../shared/conditions/conditions.js';
import { ROUTES } from '../shared/config/routes.js';
import type { Config } from '../shared/config/types.js';
import { redirect } from '../shared/http/responses.js';
import type { Logger } from '../shared/log.js';
import { portalUri } from '../shared/routes/context.js';
import { CachedSessionStore } from '../shared/sessions/cache.js';
import type { SessionInventory, SessionStore } from '../shared/sessions/types.js';
import { emfMetrics } from './metrics.js';
import { type HttpEvent, type HttpResult, lambdaHandler } from './runtime.js';

export interface VerifyRuntime {
  config: Config;
  log: Logger;
  now: () => number;
  /** The sessions table (the per-container verify cache goes in front of it here). */
  store: SessionStore & SessionInventory;
}

/** `metrics`: where request metrics go. @default CloudWatch EMF on standard output */
export function verifyLambdaHandler(
  rt: VerifyRuntime,
  metrics: RequestMetrics = emfMetrics('verify'),
): (event: HttpEvent) => Promise<HttpResult> {
  const deps = { config: rt.config, log: rt.log, now: rt.now };
  // Each log line is billed on Lambda: successful checks are counted in the metrics, not logged, unless configured.
  const app = createApp(deps, { metrics, defaultCheckSampling: 0 });
  registerVerifyRoutes(app, {
    ...deps,
    // The per-container verify cache in front of the table (DESIGN §3.6).
    sessions: new CachedSessionStore(rt.store, {
      ttl: rt.config.sessions.verifyCacheTTL,
      max: rt.config.sessions.verifyCacheSize,
    }),
    conditions: new ConditionCache(),
    // `?html=1`: the "authenticated" page is served by the login function, so send the browser there.
    authenticatedPage: (pr) => redirect(303, `${portalUri(deps, pr)}${ROUTES.authenticated.suffix}`, 'Redirecting'),
  });
  return lambdaHandler(app);
}
