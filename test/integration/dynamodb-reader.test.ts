/**
 * The verify function's signed GetItem (shared/sessions/dynamodb-reader.ts): the same sessions as the SDK store for
 * the same items (on dynalite, through the real signing path), a signature that a loopback server recomputes with
 * AWS's signer, and the SDK-like retries and typed errors against a loopback DynamoDB stand-in.
 */
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
import { type FakeReply, HttpFake, type RecordedRequest } from '../helpers/fakes/http-fake.js';

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

/** A loopback DynamoDB stand-in: `answer` gives each reply from the request and its number (1 for the first). */
class StandIn extends HttpFake {
  constructor(private readonly answer: (req: RecordedRequest, n: number) => FakeReply | Promise<FakeReply>) {
    super();
  }

  protected handle(req: RecordedRequest): FakeReply | Promise<FakeReply> {
    return this.answer(req, this.requests.length);
  }
}

async function standIn(answer: (req: RecordedRequest, n: number) => FakeReply | Promise<FakeReply>): Promise<StandIn> {
  const s = new StandIn(answer);
  await s.start();
  return s;
}

const json = (status: number, body: unknown): FakeReply => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.0' },
  body: JSON.stringify(body),
});
const ITEM = {
  pk: { S: 's#x' },
  portal: { S: 'main' },
  provider: { S: 'pocketid' },
  profile: { S: JSON.stringify(profile('stand-in')) },
  createdAt: { N: String(T0) },
  expiresAt: { N: String(T0 + 3600_000) },
};
const ok = (): FakeReply => json(200, { Item: ITEM });
const dynamoError = (status: number, type: string): FakeReply =>
  json(status, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} from the stand-in` });

describe('SigV4: a server that recomputes the signature with AWS signer and the known credentials', () => {
  /**
   * Recomputes the Authorization header of `req` with `SignatureV4` over exactly the headers it says it signed and
   * the body that arrived, with the known credentials and the request's own x-amz-date.
   */
  async function expectedAuthorization(req: RecordedRequest, credentials: AwsCredentials): Promise<string> {
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
        path: req.target,
        query: {},
        headers,
        body: req.body,
      } as Parameters<SignatureV4['sign']>[0],
      { signingDate },
    );
    return String((out as { headers: Record<string, string> }).headers.authorization);
  }

  let server: StandIn;
  let known: AwsCredentials;
  beforeAll(async () => {
    server = await standIn(async (req) =>
      (await expectedAuthorization(req, known)) === req.headers.authorization
        ? ok()
        : dynamoError(400, 'InvalidSignatureException'),
    );
  });
  afterAll(() => server.stop());

  it('signs a GetItem in the JSON protocol that the server accepts', async () => {
    known = CREDENTIALS;

    const got = await reader({ endpoint: server.url }).get('T'.repeat(43), T0);

    expect(got?.profile.id).toBe('stand-in');
    const req = server.requests.at(-1) as RecordedRequest;
    expect(req.method).toBe('POST');
    expect(req.target).toBe('/');
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

    const got = await reader({ endpoint: server.url, credentials: () => known }).get('T'.repeat(43), T0);

    expect(got?.profile.id).toBe('stand-in');
    const req = server.requests.at(-1) as RecordedRequest;
    expect(req.headers['x-amz-security-token']).toBe('session-token-of-the-role');
    expect(req.headers.authorization).toContain('x-amz-security-token');
  });

  it('is refused with other credentials, once (a 4xx is not retried), as a 503 DependencyError', async () => {
    known = CREDENTIALS;
    const before = server.requests.length;
    const wrong = reader({
      endpoint: server.url,
      credentials: () => ({ accessKeyId: 'AKIDTESTREADER', secretAccessKey: 'another-secret' }),
    });

    const err = await catchErrorAsync(() => wrong.get('T'.repeat(43), T0), DependencyError);

    expect(err.status).toBe(503);
    expect(err.detail).toBe('DynamoDB GetItem failed');
    expect(String((err.cause as Error).message)).toBe(
      '400 InvalidSignatureException: InvalidSignatureException from the stand-in',
    );
    expect(server.requests.length - before).toBe(1);
  });
});

describe('retries like the SDK standard mode', () => {
  const servers: StandIn[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  async function scripted(script: (n: number) => FakeReply | Promise<FakeReply>) {
    const s = await standIn((_req, n) => script(n));
    servers.push(s);
    return s;
  }

  it.each<[string, FakeReply]>([
    ['a 500', dynamoError(500, 'InternalServerError')],
    ['a ThrottlingException (400)', dynamoError(400, 'ThrottlingException')],
    ['a ProvisionedThroughputExceededException (400)', dynamoError(400, 'ProvisionedThroughputExceededException')],
    ['a 503 without a JSON body', { status: 503, body: 'Service Unavailable' }],
  ])('%s once, then success: one answer after two requests', async (_name, first) => {
    const s = await scripted((n) => (n === 1 ? first : ok()));

    const got = await reader({ endpoint: s.url }).get('R'.repeat(43), T0);

    expect(got?.profile.id).toBe('stand-in');
    expect(s.requests).toHaveLength(2);
  });

  it('always 500: the typed store error after exactly 3 attempts', async () => {
    const s = await scripted(() => dynamoError(500, 'InternalServerError'));

    const err = await catchErrorAsync(() => reader({ endpoint: s.url }).get('R'.repeat(43), T0), DependencyError);

    expect(err.status).toBe(503);
    expect((err.cause as Error).name).toBe('InternalServerError');
    expect(s.requests).toHaveLength(3);
  });

  it('a ValidationException: no retry', async () => {
    const s = await scripted(() => dynamoError(400, 'ValidationException'));

    const err = await catchErrorAsync(() => reader({ endpoint: s.url }).get('R'.repeat(43), T0), DependencyError);

    expect((err.cause as Error).name).toBe('ValidationException');
    expect(s.requests).toHaveLength(1);
  });

  it('an endpoint that never answers: each attempt times out, then the typed error after 3', async () => {
    const s = await scripted(() => new Promise<FakeReply>(() => {}));

    const err = await catchErrorAsync(
      () => reader({ endpoint: s.url, timeoutMs: 50 }).get('R'.repeat(43), T0),
      DependencyError,
    );

    expect((err.cause as Error).name).toBe('TimeoutError');
    expect(s.requests).toHaveLength(3);
  });

  it('a refused connection: the typed error', async () => {
    const s = await scripted(ok);
    const endpoint = s.url;
    await s.stop();

    const err = await catchErrorAsync(() => reader({ endpoint }).get('R'.repeat(43), T0), DependencyError);

    expect(err.status).toBe(503);
    expect((err.cause as Error).message).toBe('ECONNREFUSED');
  });

  it('no credentials in the environment: the typed error, without a request', async () => {
    const s = await scripted(ok);
    const r = new DynamoSessionReader(
      dynamoReaderFromEnv(TABLE, { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_DYNAMODB: s.url }),
    );
    readers.push(r);

    const err = await catchErrorAsync(() => r.get('R'.repeat(43), T0), DependencyError);

    expect((err.cause as Error).message).toBe('AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set');
    expect(s.requests).toHaveLength(0);
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
