/**
 * Session renewal (issue 14 §3) through the built bundles: the verify function sends a browser whose session is past
 * its re-validation deadline to P/oauth2/renew, which the callback function serves (under its own table grants, as
 * the local IAM stand-in enforces), re-validating with the dev IdP by a silent prompt=none round trip.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deployment, pocketIdConfig, startDeployment, TABLE_NAME } from './helpers/deployment.js';
import { LambdaBrowser } from './helpers/lambda-browser.js';

const APP = 'https://app.example.com/dashboard?tab=1';

let deployment: Deployment;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  deployment = await startDeployment({
    rawConfig: (issuer) =>
      pocketIdConfig(issuer, {
        sessions: { verifyCacheTTL: '0s' },
        logs: { level: 'error' },
        portal: { revalidateInterval: '30m' },
      }),
  });
  doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: deployment.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
  );
});

afterAll(async () => {
  await deployment?.close();
});

/** The stored session items of a user (the test reads the table directly, as an operator could). */
async function sessionsOf(user: string) {
  const out = await doc.send(new ScanCommand({ TableName: TABLE_NAME }));
  return (out.Items ?? []).filter((i) => String(i.pk).startsWith('s#') && String(i.uid).endsWith(`#${user}`));
}

describe('re-validation through the Lambda handlers', () => {
  it('sends a browser past the deadline through the callback function and back, renewing the same session', async () => {
    // Prepare: signed in, then the re-validation deadline passes (moved back in the table: the bundles keep real time).
    const b = new LambdaBrowser({
      aws: deployment.aws,
      ca: deployment.pki.caPEM,
      idp: deployment.idp.issuer,
      authHost: 'auth.example.com',
      verifyVia: 'functionUrl',
    });
    await b.login(APP, 'yann');
    const [item] = await sessionsOf('yann');
    const past = Date.now() - 1000;
    await doc.send(
      new UpdateCommand({
        TableName: TABLE_NAME,
        Key: { pk: item?.pk },
        UpdateExpression: 'SET renewAt = :p, validUntil = :p',
        ExpressionAttributeValues: { ':p': past },
      }),
    );

    // Act
    const hops = await b.navigate(APP);

    // Assess: verify 303 → renew (callback) 303 to the IdP (prompt=none) → callback 303 back → verify 200.
    expect(hops.filter((h) => h.fn).map((h) => `${h.fn} ${h.status}`)).toEqual([
      'verify 303',
      'callback 303',
      'callback 303',
      'verify 200',
    ]);
    expect(hops.some((h) => h.url.includes('prompt=none'))).toBe(true);
    const after = await sessionsOf('yann');
    expect(after).toHaveLength(1);
    expect(after[0]?.pk).toBe(item?.pk);
    expect(after[0]?.validUntil).toBeGreaterThan(Date.now() + 25 * 60_000);
  });
});
