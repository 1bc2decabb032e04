/**
 * Bench helpers: statistics over rounds, the wrk runner (pinned to its own core), child processes (pinned to the
 * server core), the shared fixtures (config, session, Lambda event) and the measure table.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { connect, createServer as netServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The server side (our server, floors, Caddy) runs on this core; wrk and this orchestrator on the other. */
export const SERVER_CORE = '0';
export const CLIENT_CORE = '1';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median with min and max, the way every figure is reported. */
export interface Stat {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function stat(samples: number[]): Stat {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples };
}

export function fmt(s: Stat, digits = 0): string {
  return `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
}

export function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** `taskset -c CORE` when there are two cores or more and taskset exists; else nothing (still correct, noisier). */
export function pin(core: string): string[] {
  return cpus().length >= 2 && has('taskset') ? ['taskset', '-c', core] : [];
}

export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  non2xx3xx: number;
}

function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/** One wrk run: 1 thread, `connections` keep-alive connections, `seconds` long, pinned to the client core. */
export async function wrk(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections = 10,
): Promise<WrkResult> {
  const args = ['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  const [cmd, ...rest] = [...pin(CLIENT_CORE), ...args] as [string, ...string[]];
  // Asynchronous: the store under the server (dynalite) answers from this process's event loop.
  const { stdout: out } = await execFileAsync(cmd, rest, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const p50 = ms(/ 50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = ms(/ 99%\s+(\S+)/.exec(out)?.[1] ?? '');
  if (!Number.isFinite(rps)) throw new Error(`cannot parse wrk output:\n${out}`);
  return { rps, p50ms: p50, p99ms: p99, requests, non2xx3xx: non };
}

/** Starts a child process that prints `PORT n` (or `READY`) on stdout; pinned to the server core. */
export async function startChild(
  args: string[],
  env: Record<string, string>,
  core = SERVER_CORE,
): Promise<{ port: number; proc: ChildProcess; stop: () => Promise<void> }> {
  const [cmd, ...rest] = [...pin(core), ...args] as [string, ...string[]];
  const proc = spawn(cmd, rest, {
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
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before listening`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  return { port, proc, stop };
}

/** `node --import tsx <file>`: bench children run from source. */
export function tsxArgs(file: string): string[] {
  return [process.execPath, '--import', 'tsx', file];
}

export function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'} × ${c.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${process.platform}/${process.arch}`;
}

export interface Measure {
  id: string;
  what: string;
  value: number | null;
  baseline: number | null;
  ratio: number | null;
  goal: string;
  /** null: skipped (see note). */
  pass: boolean | null;
  unit?: string;
  note?: string;
}

export function measureTable(ms: Measure[]): string {
  const rows = ms.map((m) => {
    const verdict = m.pass === null ? 'SKIPPED' : m.pass ? 'PASS' : 'MISS';
    const r = m.ratio === null ? '—' : m.ratio.toFixed(m.id === 'P7' ? 3 : 2);
    const v = m.value === null ? '—' : `${round(m.value)}${m.unit ? ` ${m.unit}` : ''}`;
    const b = m.baseline === null ? '—' : `${round(m.baseline)}${m.unit ? ` ${m.unit}` : ''}`;
    return `| ${m.id} | ${m.what} | ${v} | ${b} | ${r} | ${m.goal} | ${verdict}${m.note ? ` (${m.note})` : ''} |`;
  });
  return ['| id | measure | value | baseline | ratio | goal | result |', '|---|---|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

function round(v: number): string {
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** A loopback port nothing listens on (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** Waits (at most 10 s) until `port` accepts connections, failing early when `proc` exits. */
export async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        r(true);
      }).on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/**
 * The bundled standalone server as production runs it (`node dist/server.mjs --config <file>` on loopback), pinned
 * to the server core; its output goes nowhere (every check is logged at info, as in production).
 */
export function spawnBundledServer(configFile: string, port: number, env: Record<string, string> = {}): ChildProcess {
  const [cmd = '', ...args] = [
    ...pin(SERVER_CORE),
    process.execPath,
    resolve('dist', 'server.mjs'),
    '--config',
    configFile,
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
  ];
  return spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
}
