/**
 * A session as one table item (layout in `table.ts`): the key a token is stored under and the item → session
 * reading. Both DynamoDB readers use these, the SDK store (`dynamodb.ts`) and the verify function's signed GetItem
 * (`dynamodb-reader.ts`), so they answer the same session for the same item.
 */
import { sha256 } from '../crypto.js';
import { TABLE_SCHEMA } from './table.js';
import type { Session } from './types.js';

export const SESSION_PREFIX = TABLE_SCHEMA.keyPrefixes.session;

/** The partition key of a session: the hash of its token, never the token. */
export const sessionKey = (token: string): string => `${SESSION_PREFIX}${sha256(token)}`;

/** A non-empty string attribute, else undefined (the device fields are stored as given, possibly empty). */
export function optional(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The session an item (as plain JS values, numbers as numbers) stores, or undefined when there is none or it has
 * expired at `now`: DynamoDB's TTL deletes lazily, so every read re-checks `expiresAt`.
 */
export function sessionFromItem(item: Record<string, unknown> | undefined, now: number): Session | undefined {
  if (!item || typeof item.expiresAt !== 'number' || item.expiresAt <= now) return undefined;
  return {
    portal: String(item.portal),
    provider: String(item.provider),
    profile: JSON.parse(String(item.profile)),
    createdAt: Number(item.createdAt),
    expiresAt: item.expiresAt,
    ...(typeof item.renewAt === 'number' ? { renewAt: item.renewAt } : {}),
    ...(typeof item.validUntil === 'number' ? { validUntil: item.validUntil } : {}),
    ...(item.ua || item.ip ? { device: { userAgent: optional(item.ua), ip: optional(item.ip) } } : {}),
    ...(typeof item.vault === 'string' ? { sealed: item.vault } : {}),
    ...(typeof item.domain === 'string' ? { domain: item.domain } : {}),
  };
}
