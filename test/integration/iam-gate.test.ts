/**
 * The IAM stand-in of the local AWS (dev/iam-gate.ts) on its own: the store through it, as each function, against
 * dynalite. It must refuse what a function's role does not allow, the way DynamoDB answers when IAM refuses.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IamGate, invokingFunction, startIamGate } from '../../dev/iam-gate.js';
import { validateConfig } from '../../shared/config/load.js';
import { DependencyError } from '../../shared/errors.js';
import { DynamoStore } from '../../shared/sessions/dynamodb.js';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../shared/sessions/embedded.js';
import { ensureTable } from '../../shared/sessions/ensure-table.js';
import type { LoginState } from '../../shared/sessions/types.js';
import { catchErrorAsync } from '../helpers/catch-error.js';

const NOW = Date.now();
const STATE: LoginState = {
  portal: 'main',
  provider: 'pocketid',
  returnUrl: 'https://app.example.com/',
  redirectUri: 'https://auth.example.com/portals/main/oauth2/callback',
  nonce: 'n',
  bindingHash: 'h',
  cookieId: 'c',
  createdAt: NOW,
  expiresAt: NOW + 60_000,
};

describe('the IAM stand-in in front of the store', () => {
  let db: EmbeddedDynamoDB;
  let gate: IamGate;
  let client: DynamoDBClient;
  let store: DynamoStore;
  beforeAll(async () => {
    db = await startEmbeddedDynamoDB();
    const { config } = validateConfig(
      {
        server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
        portals: [
          {
            name: 'main',
            providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
          },
        ],
      },
      'test config',
    );
    const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
    await ensureTable(new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials }), 'gate');
    gate = await startIamGate({ target: db.endpoint, config });
    client = new DynamoDBClient({ endpoint: gate.endpoint, region: 'us-east-1', credentials });
    store = new DynamoStore(client, 'gate');
  });
  afterAll(async () => {
    client?.destroy();
    await gate?.close();
    await db?.close();
  });

  it("refuses verify's PutItem of a login state with AccessDeniedException, and lets login do it", async () => {
    // Act
    const refused = await catchErrorAsync(
      () => invokingFunction.run('verify', () => store.putState('a', STATE)),
      DependencyError,
    );
    await invokingFunction.run('login', () => store.putState('a', STATE));

    // Assess
    expect((refused.cause as Error).name).toBe('AccessDeniedException');
    expect(gate.denied).toEqual([
      { fn: 'verify', action: 'dynamodb:PutItem', resource: 'table', leadingKeys: ['l#h'] },
    ]);
    expect(await invokingFunction.run('callback', () => store.consumeState('a', NOW, 'h'))).toMatchObject({ ok: true });
  });

  it("refuses login's query for a user of a provider the config does not have", async () => {
    const before = gate.denied.length;

    await invokingFunction.run('login', () =>
      store.listForUser({ portal: 'main', provider: 'pocketid', userId: 'u' }, NOW),
    );
    const refused = await catchErrorAsync(
      () =>
        invokingFunction.run('login', () =>
          store.listForUser({ portal: 'main', provider: 'github', userId: 'u' }, NOW),
        ),
      DependencyError,
    );

    expect((refused.cause as Error).name).toBe('AccessDeniedException');
    expect(gate.denied.slice(before)).toEqual([
      { fn: 'login', action: 'dynamodb:Query', resource: 'index', leadingKeys: ['main#github#u'] },
    ]);
  });

  it('passes requests made outside any invocation unchecked (set-up, admin tools)', async () => {
    const checked = gate.checked;

    await store.putState('b', { ...STATE, bindingHash: 'h2' });

    expect(gate.checked).toBe(checked);
  });
});
