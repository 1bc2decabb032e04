/**
 * `npm run bench`: throughput and latency of the forward-auth check on loopback, as ratios against a trivial Node
 * HTTP server measured in the same run (these machines are noisy; absolute numbers mean little). Every run is
 * bounded (a few seconds each) and targets 127.0.0.1 only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import autocannon from 'autocannon';
import { DynamoStore } from '../shared/sessions/dynamodb.js';
import { startEmbeddedDynamoDB } from '../shared/sessions/embedded.js';
import { ensureTable } from '../shared/sessions/ensure-table.js';
import { coldStartTable } from './cold-start.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

async function child(env: Record<string, string>): Promise<{ port: number; proc: ChildProcess }> {
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const proc = spawn(process.execPath, [...prof, '--import', 'tsx', 'bench/child.ts'], {
    env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`bench child exited with ${code}`)));
  });
  return { port, proc };
}

async function run(name: string, port: number, path: string, headers: Record<string, string>) {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: CONNECTIONS,
    duration: DURATION,
    headers,
  });
  const statuses = Object.entries(r.statusCodeStats ?? {})
    .map(([code, s]) => `${code}×${(s as { count: number }).count}`)
    .join(' ');
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, statuses };
}

async function main() {
  const db = await startEmbeddedDynamoDB();
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await ensureTable(client, 'bench');
  const now = Date.now();
  const token = await new DynamoStore(client, 'bench').create({
    portal: 'main',
    provider: 'pocketid',
    profile: { id: 'alice', name: { full: 'Alice Example' }, groups: ['admins', 'users'] },
    createdAt: now,
    expiresAt: now + 3600_000,
  });
  const config = (ttl: string) =>
    JSON.stringify({
      server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
      logs: { level: 'error' },
      sessions: { dynamoDBEndpoint: db.endpoint, tableName: 'bench', region: 'us-east-1', verifyCacheTTL: ttl },
      portals: [
        {
          name: 'main',
          providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecret: 'y' } }],
        },
      ],
    });
  process.env.AWS_ACCESS_KEY_ID ??= 'x';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'x';

  const baseline = await child({ BENCH_BASELINE: '1' });
  const cached = await child({ BENCH_CONFIG: config('10s') });
  const uncached = await child({ BENCH_CONFIG: config('0') });
  const fwd = {
    'X-Forwarded-Host': 'app.example.com',
    'X-Forwarded-Proto': 'https',
    'X-Forwarded-Uri': '/dashboard?x=1',
  };
  const results = [];
  try {
    results.push(await run('baseline: trivial node:http 200', baseline.port, '/', {}));
    results.push(
      await run('verify, valid session, cache hit', cached.port, '/portals/main', {
        ...fwd,
        Cookie: `tf_sess_main=${token}`,
      }),
    );
    results.push(
      await run('verify, valid session, cache off (GetItem)', uncached.port, '/portals/main', {
        ...fwd,
        Cookie: `tf_sess_main=${token}`,
      }),
    );
    results.push(await run('verify, no session (303 + state cookie)', cached.port, '/portals/main', fwd));
    results.push(
      await run(
        'verify, condition Group("admins"), cached',
        cached.port,
        `/portals/main?if=${encodeURIComponent('Group("admins")')}`,
        { ...fwd, Cookie: `tf_sess_main=${token}` },
      ),
    );
  } finally {
    for (const c of [baseline, cached, uncached]) c.proc.kill();
    client.destroy();
    await db.close();
  }
  const base = results[0]?.rps ?? 1;
  console.log(
    `\n${CONNECTIONS} connections, ${DURATION}s each, loopback; client and servers share this machine's cores.\n`,
  );
  console.log('| scenario | req/s | ratio to baseline | p50 ms | p99 ms | statuses |\n|---|---|---|---|---|---|');
  for (const r of results)
    console.log(
      `| ${r.name} | ${Math.round(r.rps)} | ${(r.rps / base).toFixed(2)} | ${r.p50} | ${r.p99} | ${r.statuses} |`,
    );
}

await main();
console.log(coldStartTable());
