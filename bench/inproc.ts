/**
 * In-process bench child (BENCH_MODE), printing one `RESULT {json}` line:
 * - `lambda`: the built verify bundle (dist/verify/index.mjs) called with Function URL events, against a no-op app
 *   through the same Lambda adapter (P1), with the cache off against a raw GetItem on an identical client (P2: the
 *   bundle's own signed reader; the SDK client's GetItem is measured alongside for the note), the
 *   bytes written to stdout per check (P7) and the DynamoDB writes of unauthenticated checks (P8);
 * - `memory`: P6, RSS over a long run of checks over many sessions, in page loads of 16 checks each.
 */
import { pathToFileURL } from 'node:url';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Hono } from 'hono';
import type { App } from '../shared/app/base.js';
import { DynamoSessionReader, dynamoReaderFromEnv } from '../shared/sessions/dynamodb-reader.js';
import { functionUrlEvent } from './fixtures.js';
import { stat } from './lib.js';

type Handler = (event: unknown) => Promise<{ statusCode?: number }>;

const out = process.stdout.write.bind(process.stdout);
let stdoutBytes = 0;
let stdoutLines = 0;
// What the function writes (access-log and EMF lines) is counted, not printed: on Lambda it is CloudWatch Logs volume.
process.stdout.write = ((chunk: string | Uint8Array) => {
  stdoutBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  stdoutLines++;
  return true;
}) as typeof process.stdout.write;

function result(r: unknown): void {
  out(`RESULT ${JSON.stringify(r)}\n`);
}

async function opsPerSecond(fn: Handler, event: unknown, n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn(event);
  return n / ((performance.now() - start) / 1000);
}

async function lambdaMode(): Promise<void> {
  const env = process.env;
  const bundle = pathToFileURL(String(env.BENCH_BUNDLE)).href;
  const token = String(env.BENCH_TOKEN);
  const rounds = Number(env.BENCH_ROUNDS ?? 5);
  const n = Number(env.BENCH_OPS ?? 20000);
  // Two instances of the bundle (a module URL with another query is a new module): cache on, cache off.
  env.TFA_CONFIG_PATH = env.BENCH_CONFIG_HIT;
  const hit = (await import(`${bundle}?cache=on`)).handler as Handler;
  env.TFA_CONFIG_PATH = env.BENCH_CONFIG_OFF;
  const off = (await import(`${bundle}?cache=off`)).handler as Handler;
  const { lambdaHandler } = await import('../functions/runtime.js');
  const noopApp = new Hono();
  noopApp.all('*', (c) => c.text(''));
  const noop = lambdaHandler(noopApp as unknown as App) as unknown as Handler;

  const signedIn = functionUrlEvent('/portals/main', token);
  const first = await hit(signedIn);
  if (first.statusCode !== 200) throw new Error(`verify answered ${first.statusCode} to a signed-in check`);
  for (let i = 0; i < 3000; i++) {
    await hit(signedIn);
    await noop(signedIn);
  }
  const hitOps: number[] = [];
  const noopOps: number[] = [];
  const bytesPerCheck: number[] = [];
  const linesPerCheck: number[] = [];
  for (let r = 0; r < rounds; r++) {
    noopOps.push(await opsPerSecond(noop, signedIn, n));
    const [b, l] = [stdoutBytes, stdoutLines];
    hitOps.push(await opsPerSecond(hit, signedIn, n));
    bytesPerCheck.push((stdoutBytes - b) / n);
    linesPerCheck.push((stdoutLines - l) / n);
  }

  // P2: latency of a check with the cache off vs one GetItem with an identical client (same env, same endpoint).
  // The verify bundle reads with DynamoSessionReader, so "an identical client" is one of those; the SDK's GetItem
  // is measured in the same rounds to show what the bundle's read costs against it.
  const reader = new DynamoSessionReader(dynamoReaderFromEnv(String(env.TFA_TABLE_NAME), env));
  const getItem = () => reader.get('bench-missing', Date.now());
  const client = new DynamoDBClient({});
  const sdkGetItem = () =>
    client.send(
      new GetItemCommand({
        TableName: env.TFA_TABLE_NAME,
        Key: { pk: { S: 's#bench-missing' } },
        ConsistentRead: true,
      }),
    );
  const m = Math.max(50, Math.floor(n / 40));
  for (let i = 0; i < 100; i++) {
    await off(signedIn);
    await getItem();
    await sdkGetItem();
  }
  const offMs: number[] = [];
  const rawMs: number[] = [];
  const sdkMs: number[] = [];
  const missBytes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    const before = stdoutBytes;
    for (let i = 0; i < m; i++) {
      let t = performance.now();
      await off(signedIn);
      a.push(performance.now() - t);
      t = performance.now();
      await getItem();
      b.push(performance.now() - t);
      t = performance.now();
      await sdkGetItem();
      c.push(performance.now() - t);
    }
    missBytes.push((stdoutBytes - before) / m);
    offMs.push(stat(a).median);
    rawMs.push(stat(b).median);
    sdkMs.push(stat(c).median);
  }

  const counts = async () => (await (await fetch(String(env.BENCH_COUNTS_URL))).json()) as { writes: number };
  const anonymous = functionUrlEvent('/portals/main');
  const w0 = (await counts()).writes;
  const unauth = Math.max(200, Math.floor(n / 10));
  const ub = stdoutBytes;
  for (let i = 0; i < unauth; i++) {
    const r = await hit(anonymous);
    if (r.statusCode !== 303) throw new Error(`verify answered ${r.statusCode} to an anonymous check`);
  }
  const unauthBytes = (stdoutBytes - ub) / unauth;
  const writes = (await counts()).writes - w0;
  client.destroy();
  reader.close();
  result({
    hitOps,
    noopOps,
    bytesPerCheck,
    linesPerCheck,
    offMs,
    rawMs,
    sdkMs,
    missBytes,
    unauth,
    writes,
    unauthBytes,
  });
}

async function memoryMode(): Promise<void> {
  const env = process.env;
  const sessionsN = Number(env.BENCH_SESSIONS ?? 100_000);
  const checks = Number(env.BENCH_CHECKS ?? 1_000_000);
  const PAGE = 16;
  const { validateConfig } = await import('../shared/config/load.js');
  const { lambdaConfig } = await import('./fixtures.js');
  const { createLogger } = await import('../shared/log.js');
  const { newToken } = await import('../shared/sessions/tokens.js');
  const { verifyLambdaHandler } = await import('../functions/verify-handler.js');
  const { config } = validateConfig(lambdaConfig(), 'bench');
  const log = createLogger({ level: config.logs.level, json: true, write: (l) => process.stdout.write(`${l}\n`) });
  const now = Date.now();
  const tokens: string[] = [];
  const store = new Map<string, unknown>();
  for (let i = 0; i < sessionsN; i++) {
    const t = newToken();
    tokens.push(t);
    store.set(t, {
      portal: 'main',
      provider: 'pocketid',
      profile: { id: `user${i}`, name: { full: `User ${i}` }, groups: ['users'] },
      createdAt: now,
      expiresAt: now + 86_400_000,
    });
  }
  let reads = 0;
  const handler = verifyLambdaHandler({
    config,
    log,
    store: {
      get: async (t: string) => {
        reads++;
        return store.get(t) as never;
      },
    },
    now: Date.now,
  }) as unknown as Handler;
  // A deterministic walk (xorshift) over the sessions: each "page load" is 16 checks with one cookie.
  let seed = 42;
  const next = () => {
    // xorshift32: uniform enough over every bit (an LCG's low bits cycle).
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const snapshot = () => {
    gc();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed };
  };
  const start = performance.now();
  const half: { rss: number; heapUsed: number }[] = [];
  let done = 0;
  for (const target of [checks / 2, checks]) {
    while (done < target) {
      const event = functionUrlEvent('/portals/main', tokens[next() % sessionsN]);
      for (let i = 0; i < PAGE && done < target; i++, done++) {
        const r = await handler(event);
        if (r.statusCode !== 200) throw new Error(`verify answered ${r.statusCode}`);
      }
    }
    half.push(snapshot());
  }
  const seconds = (performance.now() - start) / 1000;
  result({
    sessions: sessionsN,
    checks,
    cacheMax: config.sessions.verifyCacheSize,
    first: half[0],
    second: half[1],
    missRate: reads / checks,
    seconds,
    bytesPerCheck: stdoutBytes / checks,
  });
}

if (process.env.BENCH_MODE === 'lambda') await lambdaMode();
else if (process.env.BENCH_MODE === 'memory') await memoryMode();
else throw new Error(`BENCH_MODE '${process.env.BENCH_MODE}' is not one of lambda, memory`);
process.exit(0);
