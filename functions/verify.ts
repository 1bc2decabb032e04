/**
 * The verify function: Traefik's forward-auth check (`GET P`), the bearer-token API and `/healthz`. It only reads
 * DynamoDB (one strongly consistent GetItem per session lookup the verify cache does not answer), writes nothing, and
 * bundles no HTML, openid-client, Secrets Manager or SDK DynamoDB client: the SDK client was most of its cold start,
 * so it signs its GetItem with AWS's SigV4 signer (shared/sessions/dynamodb-reader.ts). The one key it may load is
 * the identity-assertion key set, from SSM, once per container and only when a portal has that feature on.
 */
import { DynamoSessionReader, dynamoReaderFromEnv } from '../shared/sessions/dynamodb-reader.js';
import { lambdaAssertions } from './assertion-keys.js';
import { coldStart } from './runtime.js';
import { verifyLambdaHandler } from './verify-handler.js';

const rt = coldStart('verify', (table, env) => new DynamoSessionReader(dynamoReaderFromEnv(table, env)));

export const handler = verifyLambdaHandler({ ...rt.deps, store: rt.store, assertions: lambdaAssertions(rt) });
