/**
 * The DynamoDB table layout (one table for sessions and login states). See docs/sessions.md.
 *
 * | item        | pk                         | other attributes                                                   |
 * |-------------|----------------------------|--------------------------------------------------------------------|
 * | session     | `s#<sha256(token)>`        | portal, provider, uid=`<portal>#<userId>`, profile (JSON), createdAt, expiresAt, ttl |
 * | login state | `l#<state id>`             | state (JSON), expiresAt, ttl                                       |
 *
 * `ttl` is epoch seconds for DynamoDB's TTL; `expiresAt` (ms) is what reads check. GSI `byUser` (pk `uid`, sort
 * `createdAt`, keys only) serves "log out everywhere".
 */
/**
 * The key schema, in DynamoDB's own terms (`S`/`N`, `KEYS_ONLY`, which are also the values of aws-cdk-lib's
 * `AttributeType` and `ProjectionType`): the one definition `ensure-table.ts` creates and the CDK `TableV2` declares.
 */
export const TABLE_SCHEMA = {
  partitionKey: { name: 'pk', type: 'S' },
  ttlAttribute: 'ttl',
  userIndex: {
    name: 'byUser',
    partitionKey: { name: 'uid', type: 'S' },
    sortKey: { name: 'createdAt', type: 'N' },
    projection: 'KEYS_ONLY',
  },
} as const;

/** The attribute and index names, as the store reads and writes them. */
export const TABLE = {
  partitionKey: TABLE_SCHEMA.partitionKey.name,
  ttlAttribute: TABLE_SCHEMA.ttlAttribute,
  userIndex: TABLE_SCHEMA.userIndex.name,
  userIndexPartitionKey: TABLE_SCHEMA.userIndex.partitionKey.name,
  userIndexSortKey: TABLE_SCHEMA.userIndex.sortKey.name,
} as const;
