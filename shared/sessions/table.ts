/**
 * The DynamoDB table layout (one table for sessions and login states). See docs/sessions.md.
 *
 * | item        | pk                         | other attributes                                                   |
 * |-------------|----------------------------|--------------------------------------------------------------------|
 * | session     | `s#<sha256(token)>`        | portal, provider, uid=`<portal>#<provider>#<userId>`, profile (JSON), createdAt, expiresAt, ttl |
 * | login state | `l#<binding hash>`         | attempt, bind, state (JSON), expiresAt, ttl (one per browser binding, overwritten) |
 * | provider session | `i#<sha256(portal#provider#sid)>` | keys (set of session keys), expiresAt, ttl            |
 * | logout token | `j#<sha256(issuer#jti)>`  | expiresAt, ttl                                                     |
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
  /**
   * What each kind of item's partition key starts with. The IAM policies of the functions (infra/forward-auth.ts)
   * allow each function only the prefixes it uses (`dynamodb:LeadingKeys`), so these are part of the access model.
   */
  keyPrefixes: { session: 's#', loginState: 'l#', providerSession: 'i#', logoutToken: 'j#' },
  ttlAttribute: 'ttl',
  userIndex: {
    name: 'byUser',
    partitionKey: { name: 'uid', type: 'S' },
    sortKey: { name: 'createdAt', type: 'N' },
    projection: 'KEYS_ONLY',
  },
} as const;

/**
 * The `byUser` index partition key of a user: `<portal>#<provider>#<user id>`. Portal and provider names cannot
 * contain `#` (shared/config/names.ts), so the user id is all that follows, and `<portal>#<provider>#` is the prefix
 * of every user of that provider (what the IAM policy of a `Query` on the index allows).
 */
export const userIndexKey = (portal: string, provider: string, userId: string): string =>
  `${portal}#${provider}#${userId}`;

/** The attribute and index names, as the store reads and writes them. */
export const TABLE = {
  partitionKey: TABLE_SCHEMA.partitionKey.name,
  ttlAttribute: TABLE_SCHEMA.ttlAttribute,
  userIndex: TABLE_SCHEMA.userIndex.name,
  userIndexPartitionKey: TABLE_SCHEMA.userIndex.partitionKey.name,
  userIndexSortKey: TABLE_SCHEMA.userIndex.sortKey.name,
} as const;
