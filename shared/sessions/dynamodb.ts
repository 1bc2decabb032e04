import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../errors.js';
import { TABLE } from './table.js';
import { newToken, sha256 } from './tokens.js';
import type { ConsumeResult, LoginState, Session, SessionStore, StateStore } from './types.js';

const sessionKey = (token: string) => `s#${sha256(token)}`;
const stateKey = (id: string) => `l#${id}`;
const userKey = (portal: string, userId: string) => `${portal}#${userId}`;
const ttlSeconds = (expiresAt: number) => Math.ceil(expiresAt / 1000);

/**
 * Sessions and login states in one DynamoDB table (layout in `table.ts`). Reads use strongly consistent GetItem so
 * a revoked session never comes back from a stale replica; every read re-checks `expiresAt`.
 */
export class DynamoStore implements SessionStore, StateStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(session: Session): Promise<string> {
    const token = newToken();
    await this.call('PutItem', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [TABLE.partitionKey]: sessionKey(token),
            portal: session.portal,
            provider: session.provider,
            [TABLE.userIndexPartitionKey]: userKey(session.portal, session.profile.id),
            profile: JSON.stringify(session.profile),
            createdAt: session.createdAt,
            expiresAt: session.expiresAt,
            [TABLE.ttlAttribute]: ttlSeconds(session.expiresAt),
          },
        }),
      ),
    );
    return token;
  }

  async get(token: string, now: number): Promise<Session | undefined> {
    const out = await this.call('GetItem', () =>
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey]: sessionKey(token) },
          ConsistentRead: true,
        }),
      ),
    );
    const item = out.Item;
    if (!item || typeof item.expiresAt !== 'number' || item.expiresAt <= now) return undefined;
    return {
      portal: String(item.portal),
      provider: String(item.provider),
      profile: JSON.parse(String(item.profile)),
      createdAt: Number(item.createdAt),
      expiresAt: item.expiresAt,
    };
  }

  async revoke(token: string): Promise<void> {
    await this.call('DeleteItem', () =>
      this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: sessionKey(token) } })),
    );
  }

  async revokeAllForUser(portal: string, userId: string): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.call('Query', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: TABLE.userIndex,
            KeyConditionExpression: '#u = :u',
            ExpressionAttributeNames: { '#u': TABLE.userIndexPartitionKey },
            ExpressionAttributeValues: { ':u': userKey(portal, userId) },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      const keys = (page.Items ?? []).map((i) => i[TABLE.partitionKey]);
      for (let i = 0; i < keys.length; i += 25) {
        let requests = keys.slice(i, i + 25).map((pk) => ({ DeleteRequest: { Key: { [TABLE.partitionKey]: pk } } }));
        // BatchWriteItem may leave items unprocessed under throttling; retry those until none remain.
        while (requests.length > 0) {
          const out = await this.call('BatchWriteItem', () =>
            this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } })),
          );
          requests = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        }
      }
      count += keys.length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  async putState(id: string, state: LoginState): Promise<void> {
    await this.call('PutItem', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [TABLE.partitionKey]: stateKey(id),
            state: JSON.stringify(state),
            // A top-level copy, so the consuming delete can be conditional on it.
            bind: state.bindingHash,
            expiresAt: state.expiresAt,
            [TABLE.ttlAttribute]: ttlSeconds(state.expiresAt),
          },
          // A random 128-bit id never collides in practice; the condition makes sure a state is never overwritten.
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
        }),
      ),
    );
  }

  async consumeState(id: string, now: number, bindingHash: string): Promise<ConsumeResult> {
    const Key = { [TABLE.partitionKey]: stateKey(id) };
    try {
      const out = await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key,
          // Bound to the browser: another browser's attempt (e.g. with a leaked callback URL) cannot burn the login.
          ConditionExpression: 'attribute_exists(#pk) AND #bind = :bind',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#bind': 'bind' },
          ExpressionAttributeValues: { ':bind': bindingHash },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const item = out.Attributes;
      if (!item || typeof item.expiresAt !== 'number' || item.expiresAt <= now) return { ok: false, reason: 'missing' };
      return { ok: true, state: JSON.parse(String(item.state)) as LoginState };
    } catch (err) {
      if (
        !(err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException')
      )
        throw new DependencyError('DynamoDB DeleteItem', err);
    }
    // Only on failure: tell "gone" from "someone else's", for the error message.
    const existing = await this.call('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true })),
    );
    const alive = typeof existing.Item?.expiresAt === 'number' && existing.Item.expiresAt > now;
    return { ok: false, reason: alive ? 'not-bound' : 'missing' };
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new DependencyError(`DynamoDB ${op}`, err);
    }
  }
}
