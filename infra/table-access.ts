/**
 * Which items of the sessions table each function may touch, by key prefix (issue #12 §4). Every grant carries an
 * IAM condition on `dynamodb:LeadingKeys` (the partition key values of the request: every key of a batch, and for a
 * `Query` on an index the index partition key), so a function that is compromised or has a bug cannot read or write
 * the items of another: verify cannot write at all nor read login states, login cannot create sessions, and only the
 * callback touches back-channel logout records. The prefixes come from the table schema (shared/sessions/table.ts).
 */
import type { FunctionName } from '../functions/config-asset.js';
import type { Config } from '../shared/config/types.js';
import { TABLE_SCHEMA, userIndexKey } from '../shared/sessions/table.js';

export type ItemKind = keyof typeof TABLE_SCHEMA.keyPrefixes;

/** One grant on the table: DynamoDB actions (without `dynamodb:`), on items of these kinds only. */
export interface TableGrant {
  actions: string[];
  items: ItemKind[];
}

/**
 * Every store call of each function (shared/sessions/dynamodb.ts), grouped by the items it touches:
 * - verify: `get` (GetItem of a session) on every check and the bearer API;
 * - login: `get` (profile, logout, signed-in page), `putState` (provider start), `revoke` and `revokeByKey`
 *   (DeleteItem: logout, ending another session), `revokeAllForUser` (BatchWriteItem deletes: logout everywhere) and
 *   `listForUser` (BatchGetItem: the signed-in page's session list);
 * - callback: `consumeState` (conditional DeleteItem of a login state, and GetItem after a failed one), `create`
 *   (PutItem of a session), `linkProviderSession` (UpdateItem of an `i#` record); back-channel logout: `claimOnce`
 *   (PutItem of a `j#` record), `takeProviderSession` (DeleteItem of an `i#` record), `listForUser` (BatchGetItem)
 *   and `revokeByKey` (DeleteItem of a session); session renewal (`P/oauth2/renew`, and the callback of its silent
 *   re-validation): `get` (GetItem of a session), `claimRenewal` and `renew` (conditional UpdateItem of a session),
 *   `revoke` (DeleteItem of a session) and, for `prompt=none`, `putState` (PutItem of a login state).
 * login and callback also `Query` the byUser index (`userIndex`): "log out everywhere", the session list and
 * back-channel logout by `sub`.
 */
export const TABLE_ACCESS: Readonly<Record<FunctionName, { table: TableGrant[]; userIndex: boolean }>> = {
  verify: { table: [{ actions: ['GetItem'], items: ['session'] }], userIndex: false },
  login: {
    table: [
      { actions: ['GetItem', 'BatchGetItem', 'DeleteItem', 'BatchWriteItem'], items: ['session'] },
      { actions: ['PutItem'], items: ['loginState'] },
    ],
    userIndex: true,
  },
  callback: {
    table: [
      { actions: ['GetItem'], items: ['loginState', 'session'] },
      { actions: ['DeleteItem'], items: ['loginState', 'session', 'providerSession'] },
      { actions: ['PutItem'], items: ['session', 'logoutToken', 'loginState'] },
      { actions: ['UpdateItem'], items: ['providerSession', 'session'] },
      { actions: ['BatchGetItem'], items: ['session'] },
    ],
    userIndex: true,
  },
};

/** `dynamodb:LeadingKeys` patterns for items of these kinds: `s#*`, `l#*`, … */
export function keyPatterns(items: readonly ItemKind[]): string[] {
  return items.map((k) => `${TABLE_SCHEMA.keyPrefixes[k]}*`);
}

/**
 * The byUser index partition keys a function may query: `<portal>#<provider>#*` for every provider of every portal of
 * the config (sessions only ever exist for those).
 */
export function userIndexPatterns(config: Config): string[] {
  return config.portals.flatMap((p) => p.providers.map((pr) => userIndexKey(p.name, pr.name, '*')));
}

/** One IAM statement of a function's table access, before the ARNs are known (`table`: the table; `index`: byUser). */
export interface TableStatement {
  actions: string[];
  resource: 'table' | 'index';
  condition: Record<string, Record<string, string[]>>;
}

/**
 * The statements a function's role gets (infra/forward-auth.ts), and that the local IAM stand-in enforces
 * (dev/iam-gate.ts): one per grant, each limited by `dynamodb:LeadingKeys`. `ForAllValues`: every key of the request
 * (all of a batch's) must match.
 */
export function tableStatements(fn: FunctionName, config: Config): TableStatement[] {
  const access = TABLE_ACCESS[fn];
  const condition = (patterns: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns } });
  return [
    ...access.table.map((g) => ({
      actions: g.actions.map((a) => `dynamodb:${a}`),
      resource: 'table' as const,
      condition: condition(keyPatterns(g.items)),
    })),
    // A Query on the index is checked against the index partition key: only users of the configured providers.
    ...(access.userIndex
      ? [{ actions: ['dynamodb:Query'], resource: 'index' as const, condition: condition(userIndexPatterns(config)) }]
      : []),
  ];
}
