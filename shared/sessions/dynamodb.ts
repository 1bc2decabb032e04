import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { sha256 } from '../crypto.js';
import { DependencyError } from '../errors.js';
import { optional, SESSION_PREFIX, sessionFromItem, sessionKey } from './session-item.js';
import { TABLE, TABLE_SCHEMA, userIndexKey } from './table.js';
import { newToken } from './tokens.js';
import type {
  BackchannelStore,
  ConsumeResult,
  LoginState,
  Session,
  SessionFilter,
  SessionInventory,
  SessionRenewal,
  SessionStore,
  SessionSummary,
  StateStore,
  UserRef,
} from './types.js';
import { type SessionSecrets, seal } from './vault.js';

const PREFIX = TABLE_SCHEMA.keyPrefixes;
/** Characters of the stored key that name a session in the inventory (72 bits: unique in any real table). */
export const SHORT_ID_LENGTH = 12;
/** One login state per browser binding (the hash of the state cookie's secret): a new login replaces the last. */
const stateKey = (bindingHash: string) => `${PREFIX.loginState}${bindingHash}`;
const userKey = (u: UserRef) => userIndexKey(u.portal, u.provider, u.userId);
/** The provider session (`sid`) → our sessions pointer, for back-channel logout by sid. */
const sidKey = (portal: string, provider: string, sid: string) =>
  `${PREFIX.providerSession}${sha256(`${portal}#${provider}#${sid}`)}`;
/** A logout token's `jti`, kept until it expires so a replay is refused. */
const jtiKey = (issuer: string, jti: string) => `${PREFIX.logoutToken}${sha256(`${issuer}#${jti}`)}`;
const ttlSeconds = (expiresAt: number) => Math.ceil(expiresAt / 1000);

/**
 * Sessions and login states in one DynamoDB table (layout in `table.ts`). Reads use strongly consistent GetItem so
 * a revoked session never comes back from a stale replica; every read re-checks `expiresAt`.
 */
/**
 * DynamoDB client options that bound every wait: without them a hung endpoint (or a dropped connection) keeps a
 * check waiting until the proxy or Lambda gives up. Each attempt gets `requestTimeoutMs` (connection included); with
 * the SDK's retries a hung table answers 503 after about 4 × that. DynamoDB's own latency is milliseconds.
 */
export function dynamoClientOptions(requestTimeoutMs = 1000): {
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true };
} {
  return {
    requestHandler: {
      connectionTimeout: requestTimeoutMs,
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}

export class DynamoStore implements SessionStore, StateStore, SessionInventory, BackchannelStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(session: Session, secrets?: SessionSecrets): Promise<string> {
    const token = newToken();
    const sealed = secrets && (secrets.idToken || secrets.refreshToken) ? seal(token, secrets) : undefined;
    await this.call('PutItem', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [TABLE.partitionKey]: sessionKey(token),
            portal: session.portal,
            provider: session.provider,
            [TABLE.userIndexPartitionKey]: userKey({
              portal: session.portal,
              provider: session.provider,
              userId: session.profile.id,
            }),
            profile: JSON.stringify(session.profile),
            createdAt: session.createdAt,
            expiresAt: session.expiresAt,
            renewAt: session.renewAt,
            validUntil: session.validUntil,
            domain: session.domain,
            [TABLE.ttlAttribute]: ttlSeconds(session.expiresAt),
            ua: session.device?.userAgent,
            ip: session.device?.ip,
            vault: sealed,
          },
        }),
      ),
    );
    return token;
  }

  /** Always strongly consistent, so `fresh` (bypass a cache) changes nothing here. */
  async get(token: string, now: number, _options?: { fresh?: boolean }): Promise<Session | undefined> {
    const out = await this.call('GetItem', () =>
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey]: sessionKey(token) },
          ConsistentRead: true,
        }),
      ),
    );
    return sessionFromItem(out.Item, now);
  }

  async claimRenewal(token: string, now: number, leaseUntil: number): Promise<boolean> {
    return this.conditionalUpdate({
      Key: { [TABLE.partitionKey]: sessionKey(token) },
      UpdateExpression: 'SET #r = :lease',
      // Not revoked, not expired, and no other renewal holding it (a lease is a `renewAt` in the future).
      ConditionExpression: 'attribute_exists(#pk) AND #e > :now AND (attribute_not_exists(#r) OR #r <= :now)',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#r': 'renewAt', '#e': 'expiresAt' },
      ExpressionAttributeValues: { ':lease': leaseUntil, ':now': now },
    });
  }

  async renew(token: string, lease: number, renewal: SessionRenewal): Promise<boolean> {
    const names: Record<string, string> = {
      '#pk': TABLE.partitionKey,
      '#e': 'expiresAt',
      '#ttl': TABLE.ttlAttribute,
      '#r': 'renewAt',
      '#v': 'validUntil',
    };
    const values: Record<string, unknown> = {
      ':e': renewal.expiresAt,
      ':ttl': ttlSeconds(renewal.expiresAt),
      ':lease': lease,
    };
    const set = ['#e = :e', '#ttl = :ttl'];
    const remove: string[] = [];
    for (const [name, value] of [
      ['#r', renewal.renewAt],
      ['#v', renewal.validUntil],
    ] as const)
      if (value === undefined) remove.push(name);
      else {
        values[`:${name.slice(1)}`] = value;
        set.push(`${name} = :${name.slice(1)}`);
      }
    if (renewal.profile) {
      names['#pf'] = 'profile';
      values[':pf'] = JSON.stringify(renewal.profile);
      set.push('#pf = :pf');
    }
    if (renewal.secrets && (renewal.secrets.idToken || renewal.secrets.refreshToken)) {
      names['#vault'] = 'vault';
      values[':vault'] = seal(token, renewal.secrets);
      set.push('#vault = :vault');
    }
    return this.conditionalUpdate({
      Key: { [TABLE.partitionKey]: sessionKey(token) },
      UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ConditionExpression: 'attribute_exists(#pk) AND #r = :lease',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  /** An UpdateItem whose condition may fail: false then, a DependencyError for anything else. */
  private async conditionalUpdate(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>) {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tableName, ...input }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw new DependencyError('DynamoDB UpdateItem', err);
    }
  }

  async list(filter: SessionFilter, now: number): Promise<SessionSummary[]> {
    const names: Record<string, string> = { '#pk': TABLE.partitionKey, '#exp': 'expiresAt' };
    const values: Record<string, unknown> = { ':s': SESSION_PREFIX, ':now': now };
    const conditions = ['begins_with(#pk, :s)', '#exp > :now'];
    for (const [attr, value] of [
      ['portal', filter.portal],
      ['provider', filter.provider],
    ] as const)
      if (value !== undefined) {
        names[`#${attr}`] = attr;
        values[`:${attr}`] = value;
        conditions.push(`#${attr} = :${attr}`);
      }
    const out: SessionSummary[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.call('Scan', () =>
        this.doc.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: conditions.join(' AND '),
            ProjectionExpression: SUMMARY_PROJECTION,
            ExpressionAttributeNames: { ...names, ...SUMMARY_NAMES },
            ExpressionAttributeValues: values,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const summary = toSummary(item);
        if (summary && (filter.userId === undefined || summary.userId === filter.userId)) out.push(summary);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async listForUser(user: UserRef, now: number): Promise<SessionSummary[]> {
    const keys = await this.userSessionKeys(user);
    const out: SessionSummary[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let request: Record<string, unknown>[] = keys.slice(i, i + 100).map((pk) => ({ [TABLE.partitionKey]: pk }));
      // BatchGetItem may leave keys unprocessed under throttling; retry those until none remain.
      while (request.length > 0) {
        const page = await this.call('BatchGetItem', () =>
          this.doc.send(
            new BatchGetCommand({
              RequestItems: {
                [this.tableName]: {
                  Keys: request,
                  ProjectionExpression: SUMMARY_PROJECTION,
                  ExpressionAttributeNames: SUMMARY_NAMES,
                  ConsistentRead: true,
                },
              },
            }),
          ),
        );
        for (const item of page.Responses?.[this.tableName] ?? []) {
          const summary = toSummary(item);
          if (summary && summary.expiresAt > now) out.push(summary);
        }
        request = (page.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * Remembers that the provider session `sid` signed in the session stored under `key` (one UpdateItem adding the key
   * to a set), so that a back-channel logout naming the sid finds it.
   */
  async linkProviderSession(portal: string, provider: string, sid: string, key: string, expiresAt: number) {
    await this.call('UpdateItem', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey]: sidKey(portal, provider, sid) },
          UpdateExpression: 'ADD #keys :k SET #e = :e, #ttl = :ttl',
          ExpressionAttributeNames: { '#keys': 'keys', '#e': 'expiresAt', '#ttl': TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':k': new Set([key]), ':e': expiresAt, ':ttl': ttlSeconds(expiresAt) },
        }),
      ),
    );
  }

  /**
   * Back-channel logout by `sid`: removes the pointer and returns the stored keys of the sessions that provider
   * session signed in (the caller revokes them through the verify cache).
   */
  async takeProviderSession(portal: string, provider: string, sid: string): Promise<string[]> {
    const Key = { [TABLE.partitionKey]: sidKey(portal, provider, sid) };
    const out = await this.call('DeleteItem', () =>
      this.doc.send(new DeleteCommand({ TableName: this.tableName, Key, ReturnValues: 'ALL_OLD' })),
    );
    return [...((out.Attributes?.keys as Set<string> | undefined) ?? [])];
  }

  /**
   * Stores a one-time id (a logout token's `jti`) until `expiresAt`; false when it was already there (a replay).
   */
  async claimOnce(issuer: string, jti: string, expiresAt: number, now: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [TABLE.partitionKey]: jtiKey(issuer, jti), expiresAt, [TABLE.ttlAttribute]: ttlSeconds(expiresAt) },
          // An expired leftover (TTL deletes lazily) does not count.
          ConditionExpression: 'attribute_not_exists(#pk) OR #e <= :now',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#e': 'expiresAt' },
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException')
        return false;
      throw new DependencyError('DynamoDB PutItem', err);
    }
  }

  async revokeByKey(key: string): Promise<void> {
    await this.call('DeleteItem', () =>
      this.doc.send(
        new DeleteCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: `${SESSION_PREFIX}${key}` } }),
      ),
    );
  }

  /** The stored keys of a user's sessions in a portal, from the keys-only user index. */
  private async userSessionKeys(user: UserRef): Promise<string[]> {
    const keys: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.call('Query', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: TABLE.userIndex,
            KeyConditionExpression: '#u = :u',
            ExpressionAttributeNames: { '#u': TABLE.userIndexPartitionKey },
            ExpressionAttributeValues: { ':u': userKey(user) },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) keys.push(String(item[TABLE.partitionKey]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return keys;
  }

  async revoke(token: string): Promise<void> {
    await this.call('DeleteItem', () =>
      this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: sessionKey(token) } })),
    );
  }

  async revokeAllForUser(user: UserRef): Promise<number> {
    const keys = await this.userSessionKeys(user);
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
    return keys.length;
  }

  async putState(attemptId: string, state: LoginState): Promise<void> {
    // No condition: the browser's previous login state, if any, is replaced (at most one live per binding), so a loop
    // of provider starts rewrites one item instead of adding one each time.
    await this.call('PutItem', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [TABLE.partitionKey]: stateKey(state.bindingHash),
            attempt: attemptId,
            state: JSON.stringify(state),
            expiresAt: state.expiresAt,
            [TABLE.ttlAttribute]: ttlSeconds(state.expiresAt),
          },
        }),
      ),
    );
  }

  async consumeState(attemptId: string, now: number, bindingHash: string): Promise<ConsumeResult> {
    // Keyed by the binding: another browser (say, with a leaked callback URL) addresses its own item, never this one.
    const Key = { [TABLE.partitionKey]: stateKey(bindingHash) };
    try {
      const out = await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key,
          // This attempt only: a callback of a login this browser has since restarted leaves the newer one alone.
          ConditionExpression: 'attribute_exists(#pk) AND #attempt = :attempt',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#attempt': 'attempt' },
          ExpressionAttributeValues: { ':attempt': attemptId },
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
    // Only on failure: tell "gone" from "replaced by a newer login of this browser", for the error message.
    const existing = await this.call('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true })),
    );
    const alive = typeof existing.Item?.expiresAt === 'number' && existing.Item.expiresAt > now;
    return { ok: false, reason: alive ? 'superseded' : 'missing' };
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new DependencyError(`DynamoDB ${op}`, err);
    }
  }
}

/** What the inventory reads of a session item: never the sealed tokens (reads are billed by item size anyway). */
const SUMMARY_NAMES = {
  '#k': TABLE.partitionKey,
  '#po': 'portal',
  '#pr': 'provider',
  '#pf': 'profile',
  '#c': 'createdAt',
  '#e': 'expiresAt',
  '#ua': 'ua',
  '#ip': 'ip',
};
const SUMMARY_PROJECTION = '#k, #po, #pr, #pf, #c, #e, #ua, #ip';

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException';
}

function toSummary(item: Record<string, unknown>): SessionSummary | undefined {
  const pk = String(item[TABLE.partitionKey]);
  const portal = String(item.portal);
  if (!pk.startsWith(SESSION_PREFIX) || typeof item.expiresAt !== 'number') return undefined;
  let userId: string;
  try {
    userId = String((JSON.parse(String(item.profile)) as { id?: unknown }).id ?? '');
  } catch {
    return undefined;
  }
  const key = pk.slice(SESSION_PREFIX.length);
  return {
    id: key.slice(0, SHORT_ID_LENGTH),
    key,
    portal,
    provider: String(item.provider),
    userId,
    createdAt: Number(item.createdAt),
    expiresAt: item.expiresAt,
    userAgent: optional(item.ua),
    ip: optional(item.ip),
  };
}
