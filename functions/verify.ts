/**
 * The verify function: Traefik's forward-auth check (`GET P`), the bearer-token API and `/healthz`. It only reads
 * DynamoDB (GetItem), writes nothing, and bundles no HTML, openid-client or Secrets Manager; the one key it may load
 * is the identity-assertion key set, from SSM, once per container and only when a portal has that feature on.
 */
import { lambdaAssertions } from './assertion-keys.js';
import { coldStart } from './runtime.js';
import { verifyLambdaHandler } from './verify-handler.js';

const rt = coldStart('verify');

export const handler = verifyLambdaHandler({ ...rt.deps, store: rt.store, assertions: lambdaAssertions(rt) });
