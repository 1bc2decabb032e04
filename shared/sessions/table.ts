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
export const TABLE = {
  partitionKey: 'pk',
  ttlAttribute: 'ttl',
  userIndex: 'byUser',
  userIndexPartitionKey: 'uid',
  userIndexSortKey: 'createdAt',
} as const;
