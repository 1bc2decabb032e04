/**
 * The verify function: Traefik's forward-auth check (`GET P`), the bearer-token API and `/healthz`. It only reads
 * DynamoDB (GetItem), writes nothing, and bundles no HTML, openid-client or Secrets Manager.
 */
import { createApp } from '../shared/app/base.js';
import { registerVerifyRoutes } from '../shared/app/verify-routes.js';
import { ConditionCache } from '../shared/conditions/conditions.js';
import { portalUri, redirect } from '../shared/routes/context.js';
import { emfMetrics } from './metrics.js';
import { cachedSessions, coldStart, lambdaHandler } from './runtime.js';

const rt = coldStart('verify');
const app = createApp(rt.deps, { metrics: emfMetrics('verify') });
registerVerifyRoutes(app, {
  ...rt.deps,
  sessions: cachedSessions(rt),
  conditions: new ConditionCache(),
  // `?html=1`: the "authenticated" page is served by the login function, so send the browser there.
  authenticatedPage: (pr) => redirect(303, `${portalUri(rt.deps, pr)}/authenticated`, 'Redirecting'),
});

export const handler = lambdaHandler(app);
