/**
 * The table as login and callback open it: the AWS SDK's DynamoDB client behind `DynamoStore` (they write, query and
 * batch; the verify function reads with one signed GetItem instead, shared/sessions/dynamodb-reader.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { CachedSessionStore } from '../shared/sessions/cache.js';
import { DynamoStore, dynamoClientOptions } from '../shared/sessions/dynamodb.js';
import type { LambdaRuntime } from './runtime.js';

/** Region, credentials and (in tests) AWS_ENDPOINT_URL_DYNAMODB come from the Lambda environment. */
export function sdkTable(tableName: string): DynamoStore {
  return new DynamoStore(new DynamoDBClient({ credentials: fromEnv(), ...dynamoClientOptions() }), tableName);
}

/** The per-container verify cache in front of the table (DESIGN §3.6). */
export function cachedSessions(rt: LambdaRuntime<DynamoStore>): CachedSessionStore {
  return new CachedSessionStore(rt.store, {
    ttl: rt.config.sessions.verifyCacheTTL,
    max: rt.config.sessions.verifyCacheSize,
  });
}
