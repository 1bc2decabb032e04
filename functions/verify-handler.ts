/**
 * The verify function's handler, built from what a container reads at cold start (the bench builds it around another
 * store). `verify.ts` is the Lambda entry point.
 */
import { createApp, elapsedMs, type RequestMetrics, requestIdFor, requestRecorder } from '../shared/app/base.js';
import { registerVerifyRoutes } from '../shared/app/verify-routes.js';
import { ConditionCache } from '../shared/conditions/conditions.js';
import { ROUTES } from '../shared/config/routes.js';
import type { Config } from '../shared/config/types.js';
import { redirect } from '../shared/http/responses.js';
import type { IdentityAssertions } from '../shared/identity/assertion.js';
import type { Logger } from '../shared/log.js';
import { portalUri } from '../shared/routes/context.js';
import { createFastVerify } from '../shared/routes/verify-fast.js';
import { CachedSessionReader } from '../shared/sessions/cache.js';
import type { SessionReader } from '../shared/sessions/types.js';
import { emfMetrics } from './metrics.js';
import { type HttpEvent, type HttpResult, lambdaHandler, rawRequest, rawResult } from './runtime.js';

export interface VerifyRuntime {
  config: Config;
  log: Logger;
  now: () => number;
  /**
   * The sessions table (the per-container verify cache goes in front of it here). Verify only reads it: one GetItem
   * per lookup the cache does not answer.
   */
  store: SessionReader;
  /** Identity-assertion minting by portal name (`lambdaAssertions`); absent when no portal has it on. */
  assertions?: ReadonlyMap<string, IdentityAssertions>;
}

export interface VerifyHandlerOptions {
  /** Where request metrics go. @default CloudWatch EMF on standard output */
  metrics?: RequestMetrics;
  /** Answer signed-in checks on the fast path (shared/routes/verify-fast.ts). @default true; tests compare both */
  fastPath?: boolean;
}

/**
 * A signed-in check is answered on the fast path (no web Request/Response, no hono, an answer prepared once per cached
 * session); every other request, and every check the fast path steps aside for, through the app.
 */
export function verifyLambdaHandler(
  rt: VerifyRuntime,
  options: VerifyHandlerOptions = {},
): (event: HttpEvent) => Promise<HttpResult> {
  const deps = { config: rt.config, log: rt.log, now: rt.now };
  // Each log line is billed on Lambda: successful checks are counted in the metrics, not logged, unless configured.
  const appOptions = { metrics: options.metrics ?? emfMetrics('verify'), defaultCheckSampling: 0 };
  const app = createApp(deps, appOptions);
  // The per-container verify cache in front of the table (DESIGN §3.6).
  const sessions = new CachedSessionReader(rt.store, {
    ttl: rt.config.sessions.verifyCacheTTL,
    max: rt.config.sessions.verifyCacheSize,
  });
  registerVerifyRoutes(app, {
    ...deps,
    sessions,
    conditions: new ConditionCache(),
    assertions: rt.assertions,
    // `?html=1`: the "authenticated" page is served by the login function, so send the browser there.
    authenticatedPage: (pr) => redirect(303, `${portalUri(deps, pr)}${ROUTES.authenticated.suffix}`, 'Redirecting'),
  });
  const slow = lambdaHandler(app);
  if (options.fastPath === false) return slow;
  const fast = createFastVerify({ ...deps, sessions });
  const record = requestRecorder(deps, appOptions);
  const idHeader = rt.config.server.trustedRequestIdHeader?.toLowerCase();
  return async (event) => {
    const start = performance.now();
    const req = rawRequest(event);
    const requestId = requestIdFor(idHeader ? req?.header(idHeader) : undefined);
    // A store failure: the core's path answers it (with its error mapping) and logs it.
    const answer = req && (await fast(req, requestId).catch(() => undefined));
    if (!req || !answer) return slow(event);
    record({
      status: answer.status,
      method: req.method,
      target: () => req.target,
      forwardedFor: req.header('x-forwarded-for'),
      durationMs: elapsedMs(start),
      check: true,
      log: { id: requestId },
    });
    return rawResult(answer);
  };
}
