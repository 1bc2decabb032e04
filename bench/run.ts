/**
 * `npm run bench` (`-- --quick` in CI): the measures P0–P8 of docs/performance (issue 11), each a ratio against a
 * baseline measured in the same run, printed with its goal and PASS/MISS, and written to bench/results.json.
 *
 * Servers (ours, the floors, Caddy) run pinned to one core and wrk to the other; rounds are interleaved (every
 * target once per round) after a warm-up, and each figure is the median with min and max. Every run is bounded in
 * time and count and targets 127.0.0.1 only.
 */
import './env.js';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { serializeConfigAsset } from '../functions/config-asset.js';
import { validateConfig } from '../shared/config/load.js';
import { DynamoStore } from '../shared/sessions/dynamodb.js';
import { startEmbeddedDynamoDB } from '../shared/sessions/embedded.js';
import { ensureTable } from '../shared/sessions/ensure-table.js';
import { assertionCosts } from './assertion.js';
import { coldStarts, serverStarts } from './cold-start.js';
import { monthly, perMillion } from './cost.js';
import { benchConfig, FORWARDED, LAMBDA_ENV, lambdaConfig, PORTAL, PROFILE, TABLE_NAME } from './fixtures.js';
import {
  fmt,
  freePort,
  has,
  type Measure,
  machine,
  measureTable,
  pin,
  SERVER_CORE,
  type Stat,
  spawnBundledServer,
  startChild,
  stat,
  tsxArgs,
  type WrkResult,
  waitForPort,
  wrk,
} from './lib.js';

const QUICK = process.argv.includes('--quick');
/** `--only=cold`: just the cold starts (P5), for before/after figures while working on them. */
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const P = QUICK
  ? { seconds: 1, rounds: 1, ops: 3000, inprocRounds: 2, sessions: 20_000, checks: 100_000, coldRuns: 3 }
  : { seconds: 5, rounds: 3, ops: 20_000, inprocRounds: 5, sessions: 100_000, checks: 1_000_000, coldRuns: 15 };
/** The template's default memory size (infra/forward-auth.ts). */
const MEMORY_MB = 512;
/**
 * Lambda's own lines per verify invocation: none, the stack sets verify's system log level to WARN (with the default
 * INFO, JSON `platform.start` + `platform.report` are ≈ 370 bytes an invocation).
 */
const PLATFORM_BYTES = 0;

const log = (s: string) => process.stdout.write(`${s}\n`);
const progress = (s: string) => process.stderr.write(`… ${s}\n`);

/** A loopback proxy in front of the store that counts DynamoDB operations by X-Amz-Target (P2's reads, P8's writes). */
async function countingProxy(target: string) {
  const counts: Record<string, number> = {};
  const upstream = new URL(target);
  const WRITES = /\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/;
  const server = createServer((req, res) => {
    if (req.url === '/__counts') {
      const writes = Object.entries(counts).reduce((n, [k, v]) => n + (WRITES.test(k) ? v : 0), 0);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ counts, writes }));
      return;
    }
    const op = String(req.headers['x-amz-target'] ?? 'unknown');
    counts[op] = (counts[op] ?? 0) + 1;
    const up = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const writes = () => Object.entries(counts).reduce((n, [k, v]) => n + (WRITES.test(k) ? v : 0), 0);
  return { endpoint: `http://127.0.0.1:${port}`, counts, writes, close: () => server.close() };
}

/** Caddy `forward_auth` to `authPort`, then a fixed 200 (P4). */
async function startCaddy(dir: string, authPort: number) {
  const port = await freePort();
  const file = join(dir, `Caddyfile.${authPort}`);
  writeFileSync(
    file,
    `{\n\tadmin off\n\tauto_https off\n}\nhttp://:${port} {\n\troute {\n\t\tforward_auth 127.0.0.1:${authPort} {\n\t\t\turi /portals/${PORTAL}\n\t\t\tcopy_headers X-Forwarded-User\n\t\t}\n\t\trespond "ok" 200\n\t}\n}\n`,
  );
  const [cmd, ...args] = [
    ...pin(SERVER_CORE),
    'caddy',
    'run',
    '--config',
    file,
    '--adapter',
    'caddyfile',
  ] as unknown as [string, ...string[]];
  const proc = spawn(cmd, args, {
    stdio: 'ignore',
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  });
  await waitForPort(port, proc);
  return {
    port,
    stop: () =>
      new Promise<void>((r) => {
        if (proc.exitCode !== null) return r();
        proc.once('exit', () => r());
        proc.kill('SIGTERM');
      }),
  };
}

/**
 * Our standalone server as production runs it: `node dist/server.mjs` with a config file, logging at the default level
 * (every check at info) to standard output, which goes to /dev/null.
 */
async function bundledServer(dir: string, name: string, config: object) {
  const port = await freePort();
  const file = join(dir, `tfa-config.${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  const proc = spawnBundledServer(file, port, LAMBDA_ENV);
  await waitForPort(port, proc);
  return {
    port,
    stop: () =>
      new Promise<void>((r) => {
        if (proc.exitCode !== null) return r();
        proc.once('exit', () => r());
        proc.kill('SIGTERM');
      }),
  };
}

interface Answer {
  status: number;
  headers: string[];
  body: string;
}

/** One request with node:http; the raw answer minus the headers Node's server adds by itself (Date, Connection). */
function fetchAnswer(port: number, headers: Record<string, string>): Promise<Answer> {
  return new Promise((res, rej) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: `/portals/${PORTAL}`, headers }, (r: IncomingMessage) => {
      const chunks: Buffer[] = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => {
        const raw: string[] = [];
        for (let i = 0; i < r.rawHeaders.length; i += 2) {
          const name = r.rawHeaders[i] as string;
          if (/^(date|connection|keep-alive)$/i.test(name)) continue;
          raw.push(name, r.rawHeaders[i + 1] as string);
        }
        res({ status: r.statusCode ?? 0, headers: raw, body: Buffer.concat(chunks).toString('base64') });
      });
    });
    req.on('error', rej);
    req.end();
  });
}

function ratioMeasure(
  id: string,
  what: string,
  value: number,
  baseline: number,
  goal: number,
  dir: '≥' | '≤',
  unit: string,
): Measure {
  const ratio = value / baseline;
  return {
    id,
    what,
    value,
    baseline,
    ratio,
    goal: `${dir} ${goal}`,
    pass: dir === '≥' ? ratio >= goal : ratio <= goal,
    unit,
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'tfa-bench-'));
  const db = await startEmbeddedDynamoDB();
  const proxy = await countingProxy(db.endpoint);
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  await ensureTable(client, TABLE_NAME);
  const now = Date.now();
  const token = await new DynamoStore(client, TABLE_NAME).create({
    portal: PORTAL,
    provider: 'pocketid',
    profile: PROFILE,
    createdAt: now,
    expiresAt: now + 86_400_000,
  });
  const cookie = `tf_sess_${PORTAL}=${token}`;
  const measures: Measure[] = [];
  const extra: string[] = [];
  const children: { stop: () => Promise<void> }[] = [];

  log(
    `tfa-serverless bench${QUICK ? ' --quick' : ''} — ${new Date().toISOString()} — ${machine()} — node ${process.version}`,
  );
  measures.push({
    id: 'P0',
    what: 'standalone forward-auth check, signed in, req/s: ours ÷ Go Traefik Forward Auth v4',
    value: null,
    baseline: null,
    ratio: null,
    goal: '≥ 1.0',
    pass: null,
    note: 'the Go module proxy does not serve github.com/italypaleale/traefik-forward-auth/v4 (403 "not available")',
  });

  try {
    // The config assets of the Lambda bundles (cache on and off) and their environment.
    const assetHit = join(dir, 'config-hit.json');
    const assetOff = join(dir, 'config-off.json');
    writeFileSync(assetHit, serializeConfigAsset(validateConfig(lambdaConfig('10s'), 'bench').config));
    writeFileSync(assetOff, serializeConfigAsset(validateConfig(lambdaConfig('0'), 'bench').config));
    const lambdaEnv = { ...LAMBDA_ENV, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint };
    // ---- P5: cold starts -------------------------------------------------------------------------------------------
    progress('cold starts (P5)');
    const cold = await coldStarts({ runs: P.coldRuns, dir, env: { ...lambdaEnv, TFA_CONFIG_PATH: assetHit }, token });
    process.env.TFA_CONFIG_PATH = undefined;
    measures.push(
      ratioMeasure(
        'P5a',
        'verify bundle cold init (fresh process, import + one signed-in event) ÷ node -e 0',
        cold.verify.median,
        cold.node.median,
        1.5,
        '≤',
        'ms',
      ),
      ratioMeasure(
        'P5b',
        'verify bundle cold init ÷ a bundle that only creates a DynamoDB client and sends one GetItem',
        cold.verify.median,
        cold.getItemOnly.median,
        1.1,
        '≤',
        'ms',
      ),
      ratioMeasure(
        'P5c',
        'login bundle cold init (import + one event) ÷ node -e 0',
        cold.login.median,
        cold.node.median,
        2.0,
        '≤',
        'ms',
      ),
      {
        ...ratioMeasure(
          'P5c',
          'callback bundle cold init (import + one event) ÷ node -e 0',
          cold.callback.median,
          cold.node.median,
          2.0,
          '≤',
          'ms',
        ),
        id: 'P5c',
      },
    );
    extra.push(
      `\nCold init (median [min–max] of ${P.coldRuns} interleaved fresh processes, ms; bundle size):\n`,
      '| process | ms | ÷ node -e 0 | size |',
      '|---|---|---|---|',
      `| node -e 0 | ${fmt(cold.node)} | 1.00 | |`,
      ...(['getItemOnly', 'verify', 'login', 'callback'] as const).map(
        (k) =>
          `| ${k} | ${fmt(cold[k])} | ${(cold[k].median / cold.node.median).toFixed(2)} | ${((cold.sizes[k] ?? 0) / 1024).toFixed(0)} KB |`,
      ),
    );

    progress('identity assertion');
    const a = await assertionCosts(QUICK ? 200 : 5000);
    extra.push(
      '\nIdentity assertion (in process, median): ' +
        `${a.bytes} bytes; ES256 sign on a cache miss ${a.signUs.toFixed(1)} µs; ` +
        `cached answer ${a.hitUs.toFixed(2)} µs; key set load ${a.keyLoadMs.toFixed(2)} ms; ` +
        `SSM client import in a fresh process ${a.ssmImportMs.toFixed(0)} ms (unbundled: an upper bound) ` +
        '— the cold-start cost on Lambda, plus one SSM GetParameter per container (not measurable here)',
    );

    progress('standalone server start');
    const serverConfig = join(dir, 'tfa-config.json');
    writeFileSync(serverConfig, JSON.stringify(benchConfig(proxy.endpoint)));
    const starts = await serverStarts({
      runs: Math.max(3, Math.ceil(P.coldRuns / 3)),
      configFile: serverConfig,
      env: LAMBDA_ENV,
    });
    extra.push(
      `\nStandalone server start, spawn to the first /healthz 204 (median [min–max] of ${Math.max(3, Math.ceil(P.coldRuns / 3))}, ms):\n`,
      '| command | ms |',
      '|---|---|',
      ...Object.entries(starts).map(([k, v]) => `| ${k} | ${fmt(v)} |`),
    );
    if (ONLY === 'cold') {
      log(`\n${measureTable(measures)}\n${extra.join('\n')}`);
      return;
    }

    // ---- Over HTTP: P3, P4, P8 (standalone) --------------------------------------------------------------------
    if (!has('wrk')) {
      log('wrk is not installed: P3, P4 and the standalone half of P8 are skipped (apt-get install wrk)');
    } else {
      const server = async (mode: string, env: Record<string, string> = {}) => {
        const c = await startChild(tsxArgs('bench/servers.ts'), { ...LAMBDA_ENV, BENCH_MODE: mode, ...env });
        children.push(c);
        return c;
      };
      progress('starting the servers');
      const bare = await server('bare');
      const hono = await server('hono');
      const ours = await bundledServer(dir, 'hit', benchConfig(proxy.endpoint));
      const oursOff = await bundledServer(dir, 'off', benchConfig(proxy.endpoint, '0'));
      // The standalone server logs every successful check by default (as upstream does); this one logs none, to show
      // what that line costs.
      const oursQuiet = await bundledServer(
        dir,
        'quiet',
        benchConfig(proxy.endpoint, '10s', { logs: { sampleSuccessfulChecks: 0 } }),
      );
      children.push(ours, oursOff, oursQuiet);
      const signedIn = { ...FORWARDED, Cookie: cookie };
      const answer = await fetchAnswer(ours.port, signedIn);
      if (answer.status !== 200) throw new Error(`our server answered ${answer.status} to a signed-in check`);
      const identical = await server('identical', { BENCH_ANSWER: JSON.stringify(answer) });
      const copy = await fetchAnswer(identical.port, signedIn);
      if (JSON.stringify(copy) !== JSON.stringify(answer))
        throw new Error('the identical-answer floor differs from ours');
      let caddyOurs: { port: number; stop: () => Promise<void> } | undefined;
      let caddyBare: typeof caddyOurs;
      progress('starting Caddy');
      if (has('caddy')) {
        caddyOurs = await startCaddy(dir, ours.port);
        caddyBare = await startCaddy(dir, bare.port);
        children.push(caddyOurs, caddyBare);
      }
      const url = (port: number) => `http://127.0.0.1:${port}/portals/${PORTAL}`;
      const caddyHeaders = { Host: 'app.example.com', Cookie: cookie };
      const targets: { name: string; url: string; headers: Record<string, string> }[] = [
        { name: 'bare', url: url(bare.port), headers: signedIn },
        { name: 'identical', url: url(identical.port), headers: signedIn },
        { name: 'hono', url: url(hono.port), headers: signedIn },
        { name: 'hit', url: url(ours.port), headers: signedIn },
        { name: 'hitNoLog', url: url(oursQuiet.port), headers: signedIn },
        { name: 'anonymous', url: url(ours.port), headers: FORWARDED },
        { name: 'cacheOff', url: url(oursOff.port), headers: signedIn },
        ...(caddyOurs && caddyBare
          ? [
              { name: 'caddyOurs', url: `http://127.0.0.1:${caddyOurs.port}/`, headers: caddyHeaders },
              { name: 'caddyBare', url: `http://127.0.0.1:${caddyBare.port}/`, headers: caddyHeaders },
            ]
          : []),
      ];
      progress(`warm-up, then ${P.rounds} round(s) over ${targets.length} targets`);
      for (const t of targets) await wrk(t.url, t.headers, 1);
      const runs: Record<string, WrkResult[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
      let anonChecks = 0;
      let anonWrites = 0;
      for (let r = 0; r < P.rounds; r++)
        for (const t of targets) {
          const w0 = proxy.writes();
          const res = await wrk(t.url, t.headers, P.seconds);
          if (t.name === 'anonymous') {
            anonChecks += res.requests;
            anonWrites += proxy.writes() - w0;
          }
          if (res.non2xx3xx > 0 && t.name !== 'anonymous') throw new Error(`${t.name}: ${res.non2xx3xx} error answers`);
          runs[t.name]?.push(res);
        }
      const rps = (name: string): Stat => stat((runs[name] ?? []).map((x) => x.rps));
      const p50 = (name: string): Stat => stat((runs[name] ?? []).map((x) => x.p50ms));
      const hit = rps('hit');
      const ident = rps('identical');
      const m3 = ratioMeasure(
        'P3',
        'standalone check, cache hit, req/s ÷ node:http writing the identical answer',
        hit.median,
        ident.median,
        0.85,
        '≥',
        'req/s',
      );
      m3.note = `÷ bare 200: ${(hit.median / rps('bare').median).toFixed(2)}, ÷ minimal Hono: ${(hit.median / rps('hono').median).toFixed(2)}; with logs.sampleSuccessfulChecks: 0, ${(rps('hitNoLog').median / ident.median).toFixed(2)}`;
      measures.push(m3);
      if (caddyOurs)
        measures.push(
          ratioMeasure(
            'P4',
            'Caddy forward_auth → our verify ÷ Caddy → a trivial 200 auth server, req/s',
            rps('caddyOurs').median,
            rps('caddyBare').median,
            0.9,
            '≥',
            'req/s',
          ),
        );
      else
        measures.push({
          id: 'P4',
          what: 'Caddy forward_auth → our verify ÷ Caddy → a trivial 200 auth server, req/s',
          value: null,
          baseline: null,
          ratio: null,
          goal: '≥ 0.9',
          pass: null,
          note: 'SKIPPED: caddy is not installed',
        });
      extra.push(
        `\nOver HTTP (wrk -t1 -c10, ${P.rounds} interleaved round(s) of ${P.seconds}s after a 1s warm-up; servers on core ${SERVER_CORE}, wrk on the other): req/s median [min–max], p50 ms\n`,
        '| target | req/s | ÷ bare 200 | p50 ms |',
        '|---|---|---|---|',
        ...targets.map(
          (t) =>
            `| ${t.name} | ${fmt(rps(t.name))} | ${(rps(t.name).median / rps('bare').median).toFixed(2)} | ${p50(t.name).median.toFixed(3)} |`,
        ),
        `\nThe identical-answer floor writes ${answer.headers.length / 2} headers and ${Buffer.from(answer.body, 'base64').length} body bytes, as ours does (checked before the run).`,
      );
      (globalThis as { anon?: { checks: number; writes: number } }).anon = { checks: anonChecks, writes: anonWrites };
      for (const c of children.splice(0)) await c.stop();
    }

    // ---- In process: P1, P2, P7 inputs, P8 (Lambda) ----------------------------------------------------------------
    progress('in process: the verify bundle (P1, P2, P8)');
    const inproc = await runChild(['--expose-gc', '--import', 'tsx', 'bench/inproc.ts'], {
      ...lambdaEnv,
      BENCH_MODE: 'lambda',
      BENCH_BUNDLE: resolve('dist', 'verify', 'index.mjs'),
      BENCH_TOKEN: token,
      BENCH_CONFIG_HIT: assetHit,
      BENCH_CONFIG_OFF: assetOff,
      BENCH_ROUNDS: String(P.inprocRounds),
      BENCH_OPS: String(P.ops),
      BENCH_COUNTS_URL: `${proxy.endpoint}/__counts`,
    });
    const hitOps = stat(inproc.hitOps);
    const noopOps = stat(inproc.noopOps);
    measures.push(
      ratioMeasure(
        'P1',
        'in-process verify handler (Lambda bundle), cache hit, ops/s ÷ a no-op app through the same adapter',
        hitOps.median,
        noopOps.median,
        0.7,
        '≥',
        'ops/s',
      ),
    );
    const offMs = stat(inproc.offMs);
    const rawMs = stat(inproc.rawMs);
    const sdkMs = stat(inproc.sdkMs);
    measures.push({
      ...ratioMeasure(
        'P2',
        "verify with the cache off (dynalite) ÷ a raw GetItem with the same client (the bundle's signed reader), latency",
        offMs.median,
        rawMs.median,
        1.2,
        '≤',
        'ms',
      ),
      note: `a raw GetItem with the SDK client: ${sdkMs.median.toFixed(3)} ms (verify ÷ it: ${(offMs.median / sdkMs.median).toFixed(2)})`,
    });

    // ---- P6: memory over many sessions -----------------------------------------------------------------------------
    progress(`in process: ${P.checks} checks over ${P.sessions} sessions (P6)`);
    const mem = await runChild(['--expose-gc', '--max-old-space-size=512', '--import', 'tsx', 'bench/inproc.ts'], {
      BENCH_MODE: 'memory',
      BENCH_SESSIONS: String(P.sessions),
      BENCH_CHECKS: String(P.checks),
    });
    const mb = (b: number) => b / 2 ** 20;
    const growth = mem.second.rss / mem.first.rss;
    measures.push({
      id: 'P6',
      what: `RSS after ${mem.checks.toLocaleString('en')} checks over ${mem.sessions.toLocaleString('en')} sessions (LRU cap ${mem.cacheMax}): second half ÷ first half`,
      value: mb(mem.second.rss),
      baseline: mb(mem.first.rss),
      ratio: growth,
      goal: '≤ 1.10 (flat)',
      pass: growth <= 1.1,
      unit: 'MB',
      note: `in process through the Lambda adapter, sessions in memory behind the real verify cache; heap ${mb(mem.first.heapUsed).toFixed(0)} → ${mb(mem.second.heapUsed).toFixed(0)} MB; ${(mem.checks / mem.seconds).toFixed(0)} checks/s`,
    });

    // ---- P7: cost ------------------------------------------------------------------------------------------------
    const hitMs = 1000 / hitOps.median;
    const logBytes = stat(inproc.bytesPerCheck).median;
    const missBytes = stat(inproc.missBytes).median;
    const cost = perMillion({
      memoryMb: MEMORY_MB,
      hitMs,
      missMs: offMs.median,
      missRate: mem.missRate,
      logBytesPerCheck: (1 - mem.missRate) * logBytes + mem.missRate * missBytes,
      platformBytesPerCheck: PLATFORM_BYTES,
    });
    measures.push({
      id: 'P7',
      what: 'all-in $ per million signed-in checks on AWS (Function URL)',
      value: cost.functionUrl,
      baseline: null,
      ratio: null,
      goal: '≤ $0.25',
      pass: cost.functionUrl <= 0.25,
      unit: '$',
      note: `HTTP API: $${cost.httpApi.toFixed(3)}`,
    });
    extra.push(
      `\nCost per million signed-in checks (arm64, ${MEMORY_MB} MB; hit ${hitMs.toFixed(3)} ms → billed ${Math.max(1, Math.ceil(hitMs))} ms, miss ${offMs.median.toFixed(2)} ms on dynalite; cache-miss rate ${(mem.missRate * 100).toFixed(1)} % measured in P6; ${logBytes.toFixed(0)} log bytes per hit from our code + ${PLATFORM_BYTES} from the Lambda platform):\n`,
      '| item | $ |',
      '|---|---|',
      `| Lambda requests | ${cost.lambdaRequests.toFixed(4)} |`,
      `| Lambda duration | ${cost.lambdaDuration.toFixed(4)} |`,
      `| DynamoDB reads | ${cost.dynamoReads.toFixed(4)} |`,
      `| CloudWatch Logs ingestion | ${cost.logs.toFixed(4)} |`,
      `| **Function URL total** | **${cost.functionUrl.toFixed(4)}** |`,
      `| HTTP API fee | ${cost.httpApiFee.toFixed(4)} |`,
      `| **HTTP API total** | **${cost.httpApi.toFixed(4)}** |`,
      '\nPer month, $ (ALB: one load balancer, LCUs from ~2 KB per check; oauth2-proxy: 0.25 vCPU/0.5 GB arm64 Fargate task behind its own ALB, with its default request log):\n',
      '| checks/month | ours, Function URL | ours, HTTP API | ALB authenticate-oidc | oauth2-proxy on Fargate |',
      '|---|---|---|---|---|',
      ...[1e6, 1e7, 1e8].map((n) => {
        const m = monthly(n, cost);
        return `| ${(n / 1e6).toFixed(0)}M | ${m.functionUrl.toFixed(2)} | ${m.httpApi.toFixed(2)} | ${m.albOidc.toFixed(2)} | ${m.oauth2ProxyFargate.toFixed(2)} |`;
      }),
    );

    // ---- P8 -------------------------------------------------------------------------------------------------------
    const anon = (globalThis as { anon?: { checks: number; writes: number } }).anon ?? { checks: 0, writes: 0 };
    const checks = anon.checks + inproc.unauth;
    const writes = anon.writes + inproc.writes;
    measures.push({
      id: 'P8',
      what: 'DynamoDB writes per unauthenticated forward-auth check',
      value: writes / checks,
      baseline: null,
      ratio: null,
      goal: '0',
      pass: writes === 0,
      unit: 'writes',
      note: `${writes} writes in ${checks} checks (standalone over HTTP and Lambda in process), counted by a proxy in front of the store`,
    });
  } finally {
    for (const c of children) await c.stop();
    client.destroy();
    proxy.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const order = ['P0', 'P1', 'P2', 'P3', 'P4', 'P5a', 'P5b', 'P5c', 'P6', 'P7', 'P8'];
  measures.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  log(`\n${measureTable(measures)}`);
  log(extra.join('\n'));
  const results = { date: new Date().toISOString(), machine: machine(), node: process.version, quick: QUICK, measures };
  mkdirSync('bench', { recursive: true });
  // The quick run (CI) proves the harness works; its figures are too short to quote, so they go to another file.
  const file = QUICK ? 'results.quick.json' : 'results.json';
  writeFileSync(join('bench', file), `${JSON.stringify(results, null, 2)}\n`);
  log(`\nwrote bench/${file} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** Runs an in-process bench child pinned to the server core and returns its `RESULT` JSON. */
// biome-ignore lint/suspicious/noExplicitAny: the children's result shapes are documented in bench/inproc.ts
async function runChild(args: string[], env: Record<string, string>): Promise<any> {
  const [cmd, ...rest] = [...pin(SERVER_CORE), process.execPath, ...args] as [string, ...string[]];
  const proc = spawn(cmd, rest, {
    env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`bench child ${env.BENCH_MODE} failed (exit ${code})`);
  return JSON.parse(line.slice('RESULT '.length));
}

await main();
