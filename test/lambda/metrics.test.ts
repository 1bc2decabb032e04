import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FrontDoor, type FrontDoorHandler, startFrontDoor } from '../../dev/aws-front-door.js';
import { createTestPki, type TestPki } from '../../dev/local-pki.js';
import { emfMetrics, METRICS_NAMESPACE } from '../../functions/metrics.js';
import { verifyLambdaHandler } from '../../functions/verify-handler.js';
import { createApp } from '../../shared/app/base.js';
import { registerHealth } from '../../shared/app/verify-routes.js';
import { validateConfig } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log.js';
import { DynamoStore } from '../../shared/sessions/dynamodb.js';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../shared/sessions/embedded.js';
import { ensureTable } from '../../shared/sessions/ensure-table.js';
import { doorRequest } from './helpers/front-door-client.js';

const PORTALS = [
  {
    name: 'main',
    providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecret: 'y' } }],
  },
];

/** An app with only /healthz (204) and the 404 fallback, a clock the test moves, and every line written. */
function setup(level: 'info' | 'error', flushMs = 10_000) {
  const { config } = validateConfig({ logs: { level }, portals: PORTALS });
  const lines: string[] = [];
  const clock = { now: 1_800_000_000_000 };
  const log = createLogger({ level, json: true, write: (l) => lines.push(l) });
  const app = createApp(
    { config, log, now: Date.now },
    { metrics: emfMetrics('verify', { write: (l) => lines.push(l), now: () => clock.now, flushMs }) },
  );
  registerHealth(app, { config, log, now: Date.now });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { app, clock, emf: () => records().filter((r) => r._aws !== undefined), records };
}

describe('CloudWatch EMF metrics, aggregated per container', () => {
  it('writes the first request at once: Requests and Latency by function and status class, ColdStart once', async () => {
    // Arrange
    const { app, emf } = setup('info');

    // Act
    await app.fetch(new Request('https://x/nope'));

    // Assess
    const [first] = emf();
    expect(emf()).toHaveLength(1);
    expect(first).toEqual({
      _aws: {
        Timestamp: 1_800_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['Function', 'StatusClass']],
            Metrics: [
              { Name: 'Requests', Unit: 'Count' },
              { Name: 'Latency', Unit: 'Milliseconds' },
              { Name: 'ColdStart', Unit: 'Count' },
            ],
          },
        ],
      },
      Function: 'verify',
      StatusClass: '4xx',
      Requests: 1,
      Latency: [expect.any(Number)],
      ColdStart: 1,
    });
  });

  it('counts later requests in memory and writes them, one document per status class, once flushMs has passed', async () => {
    // Arrange
    const { app, clock, emf } = setup('info');
    await app.fetch(new Request('https://x/nope'));

    // Act: three requests within the flush interval write nothing; the first one after it writes all four.
    clock.now += 1_000;
    await app.fetch(new Request('https://x/healthz'));
    await app.fetch(new Request('https://x/healthz'));
    await app.fetch(new Request('https://x/nope'));
    const beforeFlush = emf().length;
    clock.now += 9_000;
    await app.fetch(new Request('https://x/healthz'));

    // Assess
    expect(beforeFlush).toBe(1);
    const flushed = emf().slice(1);
    expect(flushed.map((r) => [r.StatusClass, r.Requests, (r.Latency as number[]).length, r.ColdStart])).toEqual([
      ['2xx', 3, 3, undefined],
      ['4xx', 1, 1, undefined],
    ]);
    expect(flushed.every((r) => (r._aws as { Timestamp: number }).Timestamp === clock.now)).toBe(true);
  });

  it('writes a status class as soon as it has 100 latencies (CloudWatch takes at most 100 values per metric)', async () => {
    // Arrange
    const { app, emf } = setup('error', 60_000);

    // Act
    for (let i = 0; i < 101; i++) await app.fetch(new Request('https://x/healthz'));

    // Assess: the first request, then the next 100 together.
    expect(emf().map((r) => [r.Requests, (r.Latency as number[]).length])).toEqual([
      [1, 1],
      [100, 100],
    ]);
  });

  it('counts requests the access log leaves out (log level, omitted health checks)', async () => {
    // Arrange
    const { app, clock, records } = setup('error');

    // Act
    await app.fetch(new Request('https://x/healthz'));
    clock.now += 10_000;
    await app.fetch(new Request('https://x/nope'));

    // Assess: no access-log line at level error, both requests in the metrics.
    expect(records().map((r) => [r.msg, r.StatusClass, r.Requests])).toEqual([
      [undefined, '2xx', 1],
      [undefined, '4xx', 1],
    ]);
  });
});

describe('access log of the verify function', () => {
  let db: EmbeddedDynamoDB;
  let store: DynamoStore;
  let token: string;

  beforeAll(async () => {
    db = await startEmbeddedDynamoDB();
    const client = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await ensureTable(client, 'metrics-test');
    // The handler under test sits behind a local Function URL, which builds the events as AWS does.
    pki = createTestPki();
    door = await startFrontDoor({
      kind: 'functionUrl',
      awsHost: 'abc.lambda-url.us-east-1.on.aws',
      route: () => ({ handler: current, name: 'verify', routeKey: '$default' }),
      tls: { cert: pki.serverCertPEM, key: pki.serverKeyPEM },
    });
    store = new DynamoStore(client, 'metrics-test');
    const now = Date.now();
    token = await store.create({
      portal: 'main',
      provider: 'pocketid',
      profile: { id: 'zoe', name: { full: 'Zoe' } },
      createdAt: now,
      expiresAt: now + 3_600_000,
    });
  });

  afterAll(async () => {
    await door?.close();
    await db?.close();
  });

  let pki: TestPki;
  let door: FrontDoor;
  let current: FrontDoorHandler = async () => ({ statusCode: 500 });

  function verify(logs: Record<string, unknown>) {
    const { config } = validateConfig({
      server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
      logs,
      portals: PORTALS,
    });
    const lines: Record<string, unknown>[] = [];
    const counted: number[] = [];
    const log = createLogger({ level: config.logs.level, json: true, write: (l) => lines.push(JSON.parse(l)) });
    current = verifyLambdaHandler(
      { config, log, now: Date.now, store },
      { metrics: ({ status }) => counted.push(status) },
    );
    const handler = async (request: Promise<number>) => ({ statusCode: await request });
    return { handler, lines, counted };
  }

  /** Traefik's check through the Function URL; resolves to the status the function answered. */
  const check = async (cookies?: string[]) => {
    const res = await doorRequest(door, pki.caPEM, {
      path: '/portals/main',
      headers: {
        'X-Forwarded-Host': 'app.example.com',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Uri': '/',
        ...(cookies ? { Cookie: cookies.join('; ') } : {}),
      },
    });
    return res.result?.statusCode ?? 0;
  };

  it('logs no successful check by default on Lambda, but every denial, and counts both in the metrics', async () => {
    // Arrange
    const { handler, lines, counted } = verify({});

    // Act
    const ok = await handler(check([`tf_sess_main=${token}`]));
    const denied = await handler(check());

    // Assess
    expect([ok.statusCode, denied.statusCode]).toEqual([200, 303]);
    expect(lines.map((l) => [l.msg, l.status])).toEqual([['HTTP Request', 303]]);
    expect(counted).toEqual([200, 303]);
  });

  it('logs successful checks when logs.sampleSuccessfulChecks is 1', async () => {
    // Arrange
    const { handler, lines } = verify({ sampleSuccessfulChecks: 1 });

    // Act
    await handler(check([`tf_sess_main=${token}`]));

    // Assess
    expect(lines.map((l) => [l.msg, l.status])).toEqual([['HTTP Request', 200]]);
  });
});
