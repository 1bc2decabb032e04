import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../shared/sessions/embedded.js';
import { basicConfig, type Stack, startStack } from '../helpers/stack.js';

/** A return URL at the length cap (2,048 bytes, `MAX_RETURN_URL`): the largest login state a browser can make. */
const LONG_APP = (() => {
  const base = 'https://app.example.com/';
  return `${base}${'a'.repeat(2048 - base.length)}`;
})();

/** DynamoDB's item size: the UTF-8 bytes of every attribute name and value (numbers count at most 21 bytes). */
function itemBytes(item: Record<string, { S?: string; N?: string }>): number {
  return Object.entries(item).reduce(
    (n, [name, v]) =>
      n + Buffer.byteLength(name) + (v.S !== undefined ? Buffer.byteLength(v.S) : Math.min(21, v.N?.length ?? 0)),
    0,
  );
}

describe('login states: one per browser binding, bounded in size (issue #12 §2)', () => {
  let db: EmbeddedDynamoDB;
  let client: DynamoDBClient;
  let stack: Stack;
  const loginStates = async () =>
    ((await client.send(new ScanCommand({ TableName: 'states', ConsistentRead: true }))).Items ?? []).filter((i) =>
      i.pk?.S?.startsWith('l#'),
    );

  beforeAll(async () => {
    db = await startEmbeddedDynamoDB();
    client = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    // The server reaches the same dynalite as a "real" endpoint (default credential chain: dynalite ignores them).
    process.env.AWS_ACCESS_KEY_ID = 'x';
    process.env.AWS_SECRET_ACCESS_KEY = 'x';
    stack = await startStack({
      config: (issuer) => ({
        ...basicConfig(issuer),
        sessions: { dynamoDBEndpoint: db.endpoint, tableName: 'states', region: 'us-east-1' },
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
    client?.destroy();
    await db?.close();
  });

  it('rewrites one item when the same state cookie starts a login 25 times, and it stays under 3 KB', async () => {
    // Prepare: the check and sign-in give the browser its state cookie and the provider-start URL.
    const b = stack.browser();
    const hops = await b.navigate(LONG_APP, 2);
    const providerStart = hops.at(-1)?.headers.get('location') ?? '';
    expect(providerStart).toMatch(/^https:\/\/auth\.example\.com\/portals\/main\/providers\/pocketid\?state=/);

    // Act: a loop of provider starts with that one cookie (what a script replaying the URL does).
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await b.request(providerStart)).status);

    // Assess
    expect(statuses).toEqual(Array(25).fill(303));
    const items = await loginStates();
    expect(items).toHaveLength(1);
    // Under 3 KB, i.e. at most 3 write units per provider start, with the longest return URL accepted.
    const bytes = itemBytes(items[0] as Record<string, { S?: string; N?: string }>);
    expect(bytes).toBeGreaterThan(2048);
    expect(bytes).toBeLessThanOrEqual(3072);
  });

  it('refuses a return URL over the cap before anything is stored', async () => {
    const b = stack.browser();
    const hops = await b.navigate(LONG_APP, 2);
    const providerStart = new URL(hops.at(-1)?.headers.get('location') ?? '');
    const before = (await loginStates()).length;
    providerStart.searchParams.set('return', Buffer.from(`${LONG_APP}b`).toString('base64url'));

    const start = await b.request(providerStart.href);

    expect(start.status).toBe(400);
    expect((await loginStates()).length).toBe(before);
  });

  it('lets the last of two tabs on the same page complete; the earlier tab gets 401 and a page that says why', async () => {
    // Prepare: two tabs of one browser on one page share the state cookie; each starts a login at the provider.
    const b = stack.browser();
    const app = 'https://app.example.com/two-tabs';
    const first = (await b.navigate(app, 3)).at(-1)?.headers.get('location') ?? '';
    const second = (await b.navigate(app, 3)).at(-1)?.headers.get('location') ?? '';
    expect(new URL(first).searchParams.get('state')).not.toBe(new URL(second).searchParams.get('state'));

    // Act: the first tab finishes at the IdP first, then the second.
    const firstHops = await b.login(first);
    const secondHops = await b.login(second);

    // Assess
    const firstCallback = firstHops.find((h) => h.url.includes('/oauth2/callback'));
    expect(firstCallback?.status).toBe(401);
    expect(firstCallback?.body).toBe(
      'Error: This sign-in was replaced by a newer one in this browser: finish that one, or reload the page',
    );
    expect(secondHops.at(-1)?.url).toBe(app);
    expect(secondHops.at(-1)?.status).toBe(200);
  });
});
