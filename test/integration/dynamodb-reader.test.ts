/**
 * The verify function's signed GetItem (shared/sessions/dynamodb-reader.ts): the same sessions as the SDK store for
 * the same items (on dynalite, through the real signing path), a signature that a loopback server recomputes with
 * AWS's signer, and the SDK-like retries and typed errors against a loopback DynamoDB stand-in.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DependencyError } from '../../shared/errors.js';
import type { Profile } from '../../shared/profile.js';
import { DynamoStore } from '../../shared/sessions/dynamodb.js';
import {
  type AwsCredentials,
  type DynamoReaderOptions,
  DynamoSessionReader,
  dynamoReaderFromEnv,
} from '../../shared/sessions/dynamodb-reader.js';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../shared/sessions/embedded.js';
import { ensureTable } from '../../shared/sessions/ensure-table.js';
import { sessionKey } from '../../shared/sessions/session-item.js';
import type { Session } from '../../shared/sessions/types.js';
import { catchErrorAsync } from '../helpers/catch-error.js';

const T0 = 1_800_000_000_000;
const TABLE = 'reader';
const CREDENTIALS: AwsCredentials = { accessKeyId: 'AKIDTESTREADER', secretAccessKey: 'reader-test-secret-key' };
const profile = (id: string): Profile => ({
  id,
  name: { full: `User ${id}` },
  email: { address: `${id}@example.com`, verified: true },
  groups: ['g'],
});
const session = (id: string, extra: Partial<Session> = {}): Session => ({
  portal: 'main',
  provider: 'pocketid',
  profile: profile(id),
  createdAt: T0,
  expiresAt: T0 + 3600_000,
  ...extra,
});

const readers: DynamoSessionReader[] = [];
function reader(o: Partial<DynamoReaderOptions> & { endpoint: string }): DynamoSessionReader {
  const r = new DynamoSessionReader({
    tableName: TABLE,
    region: 'us-east-1',
    credentials: () => CREDENTIALS,
    // Retries wait a random time below 1 ms × 2^n here, so a test never waits for the production backoff.
    backoffMs: 1,
    ...o,
  });
  readers.push(r);
  return r;
}
afterAll(() => {
  for (const r of readers) r.close();
});

describe('the same sessions as DynamoStore, on dynalite', () => {
  let db: EmbeddedDynamoDB;
  let client: DynamoDBClient;
  let store: DynamoStore;
  let signed: DynamoSessionReader;
  beforeAll(async () => {
    db = await startEmbeddedDynamoDB();
    client = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    await ensureTable(client, TABLE);
    store = new DynamoStore(client, TABLE);
    signed = reader({ endpoint: db.endpoint });
  });
  afterAll(async () => {
    client.destroy();
    await db.close();
  });

  const both = async (token: string, now = T0) => ({
    sdk: await store.get(token, now),
    signed: await signed.get(token, now),
  });

  it.each<[string, Session, { idToken?: string; refreshToken?: string }?]>([
    ['a plain session', session('plain')],
    [
      'every optional field (renewal times, device, domain, sealed tokens)',
      session('full', {
        renewAt: T0 + 60_000,
        validUntil: T0 + 120_000,
        device: { userAgent: 'Firefox/140', ip: '203.0.113.9' },
        domain: 'example.com',
      }),
      { idToken: 'id-token', refreshToken: 'refresh-token' },
    ],
    ['a session of another domain', session('other', { domain: 'other.example.org' })],
    ['a device with the user agent only', session('ua', { device: { userAgent: 'curl/8' } })],
  ])('%s', async (_name, s, secrets) => {
    const token = await store.create(s, secrets);

    const got = await both(token);

    expect(got.signed).toEqual(got.sdk);
    expect(got.signed?.profile).toEqual(s.profile);
    expect(got.signed?.domain).toBe(s.domain);
    expect(typeof got.signed?.sealed).toBe(secrets ? 'string' : 'undefined');
  });

  it('an absent item: none from either', async () => {
    expect(await both('A'.repeat(43))).toEqual({ sdk: undefined, signed: undefined });
  });

  it('an expired item (TTL deletes lazily): none from either, exactly at the boundary', async () => {
    const token = await store.create(session('expiring', { expiresAt: T0 + 1000 }));

    expect((await both(token, T0 + 999)).signed?.profile.id).toBe('expiring');
    expect(await both(token, T0 + 1000)).toEqual({ sdk: undefined, signed: undefined });
  });

  it('an item written by hand with unusual attributes: empty device fields, large numbers, a string set', async () => {
    const token = 'H'.repeat(43);
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          pk: { S: sessionKey(token) },
          portal: { S: 'main' },
          provider: { S: 'pocketid' },
          profile: { S: JSON.stringify(profile('hand')) },
          createdAt: { N: String(T0) },
          expiresAt: { N: String(T0 + 5000) },
          ua: { S: '' },
          ip: { S: '198.51.100.1' },
          extra: { SS: ['a', 'b'] },
        },
      }),
    );

    const got = await both(token);

    expect(got.signed).toEqual(got.sdk);
    expect(got.signed?.device).toEqual({ userAgent: undefined, ip: '198.51.100.1' });
  });
});

/** A recorded request of a loopback stand-in. */
interface Received {
  headers: IncomingMessage['headers'];
  method: string;
  url: string;
  body: string;
}

/** A loopback DynamoDB stand-in: `answer` decides each response from the request and its index. */
async function standIn(answer: (req: Received, n: number, res: ServerResponse) => void) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        headers: req.headers,
        method: req.method ?? '',
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString(),
      };
      received.push(r);
      answer(r, received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify(body));
};
const ITEM = {
  pk: { S: 's#x' },
  portal: { S: 'main' },
  provider: { S: 'pocketid' },
  profile: { S: JSON.stringify(profile('stand-in')) },
  createdAt: { N: String(T0) },
  expiresAt: { N: String(T0 + 3600_000) },
};
const ok = (res: ServerResponse) => json(res, 200, { Item: ITEM });
const dynamoError = (res: ServerResponse, status: number, type: string) =>
  json(res, status, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} from the stand-in` });

describe('SigV4: a server that recomputes the signature with AWS signer and the known credentials', () => {
  /**
   * Recomputes the Authorization header of `req` with `SignatureV4` over exactly the headers it says it signed and
   * the body that arrived, with the known credentials and the request's own x-amz-date.
   */
  async function expectedAuthorization(req: Received, credentials: AwsCredentials): Promise<string> {
    const auth = String(req.headers.authorization ?? '');
    const signedNames = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
    const headers: Record<string, string> = {};
    for (const name of signedNames) headers[name] = String(req.headers[name] ?? '');
    // The signer would take a received payload hash on trust: drop it, so it hashes the body that arrived.
    delete headers['x-amz-content-sha256'];
    const amzDate = String(req.headers['x-amz-date']);
    const signingDate = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    const host = String(req.headers.host);
    const signer = new SignatureV4({
      service: 'dynamodb',
      region: 'us-east-1',
      credentials,
      sha256: Hash.bind(null, 'sha256'),
    });
    const out = await signer.sign(
      {
        method: req.method,
        protocol: 'http:',
        hostname: host.split(':')[0] ?? '',
        path: req.url,
        query: {},
        headers,
        body: req.body,
      } as Parameters<SignatureV4['sign']>[0],
      { signingDate },
    );
    return String((out as { headers: Record<string, string> }).headers.authorization);
  }

  let server: Awaited<ReturnType<typeof standIn>>;
  let known: AwsCredentials;
  beforeAll(async () => {
    server = await standIn((req, _n, res) => {
      void expectedAuthorization(req, known).then((expected) =>
        expected === req.headers.authorization ? ok(res) : dynamoError(res, 400, 'InvalidSignatureException'),
      );
    });
  });
  afterAll(() => server.close());

  it('signs a GetItem in the JSON protocol that the server accepts', async () => {
    known = CREDENTIALS;

    const got = await reader({ endpoint: server.endpoint }).get('T'.repeat(43), T0);

    expect(got?.profile.id).toBe('stand-in');
    const req = server.received.at(-1) as Received;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/');
    expect(req.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTESTREADER\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
    expect(req.headers['x-amz-security-token']).toBeUndefined();
    expect(JSON.parse(req.body)).toEqual({
      TableName: TABLE,
      Key: { pk: { S: sessionKey('T'.repeat(43)) } },
      ConsistentRead: true,
    });
  });

  it('sends and signs the session token as x-amz-security-token when there is one', async () => {
    known = { ...CREDENTIALS, sessionToken: 'session-token-of-the-role' };

    const got = await reader({ endpoint: server.endpoint, credentials: () => known }).get('T'.repeat(43), T0);

    expect(got?.profile.id).toBe('stand-in');
    const req = server.received.at(-1) as Received;
    expect(req.headers['x-amz-security-token']).toBe('session-token-of-the-role');
    expect(req.headers.authorization).toContain('x-amz-security-token');
  });

  it('is refused with other credentials, once (a 4xx is not retried), as a 503 DependencyError', async () => {
    known = CREDENTIALS;
    const before = server.received.length;
    const wrong = reader({
      endpoint: server.endpoint,
      credentials: () => ({ accessKeyId: 'AKIDTESTREADER', secretAccessKey: 'another-secret' }),
    });

    const err = await catchErrorAsync(() => wrong.get('T'.repeat(43), T0), DependencyError);

    expect(err.status).toBe(503);
    expect(err.detail).toBe('DynamoDB GetItem failed');
    expect(String((err.cause as Error).message)).toBe(
      '400 InvalidSignatureException: InvalidSignatureException from the stand-in',
    );
    expect(server.received.length - before).toBe(1);
  });
});

describe('retries like the SDK standard mode', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  async function scripted(script: (res: ServerResponse, n: number) => void) {
    const s = await standIn((_req, n, res) => script(res, n));
    servers.push(s);
    return s;
  }

  it.each<[string, (res: ServerResponse) => void]>([
    ['a 500', (res) => dynamoError(res, 500, 'InternalServerError')],
    ['a ThrottlingException (400)', (res) => dynamoError(res, 400, 'ThrottlingException')],
    [
      'a ProvisionedThroughputExceededException (400)',
      (res) => dynamoError(res, 400, 'ProvisionedThroughputExceededException'),
    ],
    ['a 503 without a JSON body', (res) => res.writeHead(503).end('Service Unavailable')],
  ])('%s once, then success: one answer after two requests', async (_name, first) => {
    const s = await scripted((res, n) => (n === 1 ? first(res) : ok(res)));

    const got = await reader({ endpoint: s.endpoint }).get('R'.repeat(43), T0);

    expect(got?.profile.id).toBe('stand-in');
    expect(s.received).toHaveLength(2);
  });

  it('always 500: the typed store error after exactly 3 attempts', async () => {
    const s = await scripted((res) => dynamoError(res, 500, 'InternalServerError'));

    const err = await catchErrorAsync(() => reader({ endpoint: s.endpoint }).get('R'.repeat(43), T0), DependencyError);

    expect(err.status).toBe(503);
    expect((err.cause as Error).name).toBe('InternalServerError');
    expect(s.received).toHaveLength(3);
  });

  it('a ValidationException: no retry', async () => {
    const s = await scripted((res) => dynamoError(res, 400, 'ValidationException'));

    const err = await catchErrorAsync(() => reader({ endpoint: s.endpoint }).get('R'.repeat(43), T0), DependencyError);

    expect((err.cause as Error).name).toBe('ValidationException');
    expect(s.received).toHaveLength(1);
  });

  it('an endpoint that never answers: each attempt times out, then the typed error after 3', async () => {
    const s = await scripted(() => {});

    const err = await catchErrorAsync(
      () => reader({ endpoint: s.endpoint, timeoutMs: 50 }).get('R'.repeat(43), T0),
      DependencyError,
    );

    expect((err.cause as Error).name).toBe('TimeoutError');
    expect(s.received).toHaveLength(3);
  });

  it('a refused connection: the typed error', async () => {
    const s = await scripted(ok);
    await s.close();

    const err = await catchErrorAsync(() => reader({ endpoint: s.endpoint }).get('R'.repeat(43), T0), DependencyError);

    expect(err.status).toBe(503);
    expect((err.cause as Error).message).toBe('ECONNREFUSED');
  });

  it('no credentials in the environment: the typed error, without a request', async () => {
    const s = await scripted(ok);
    const r = new DynamoSessionReader(
      dynamoReaderFromEnv(TABLE, { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_DYNAMODB: s.endpoint }),
    );
    readers.push(r);

    const err = await catchErrorAsync(() => r.get('R'.repeat(43), T0), DependencyError);

    expect((err.cause as Error).message).toBe('AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set');
    expect(s.received).toHaveLength(0);
  });
});

describe('the Lambda environment', () => {
  it('takes the region, the endpoint override and the credentials of the execution role', () => {
    const o = dynamoReaderFromEnv('t', {
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'AKID',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });

    expect(o).toMatchObject({
      tableName: 't',
      region: 'eu-central-1',
      endpoint: 'https://dynamodb.eu-central-1.amazonaws.com',
    });
    expect(o.credentials()).toEqual({ accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' });
    expect(
      dynamoReaderFromEnv('t', { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' })
        .endpoint,
    ).toBe('http://127.0.0.1:8000');
  });

  it('refuses to start without AWS_REGION, naming it', () => {
    expect(() => dynamoReaderFromEnv('t', {})).toThrow(
      'AWS_REGION is not set: Lambda sets it; set it when running the bundle yourself',
    );
  });
});
