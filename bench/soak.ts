/**
 * `npm run soak [-- --minutes N]` (default 10; not in CI): loopback load on the bundled standalone server
 * (`node dist/server.mjs`, embedded session store, pinned to one core), mixing
 * - hits: forward-auth checks with a valid session cookie, and misses: checks without one (a browser navigation, 303
 *   to sign-in), from wrk (one 60 s run per minute, 10 connections, pinned to the other core, 9 hits to 1 miss);
 * - logins and logouts: real ones, one after the other for the whole run, through the dev OpenID provider (its login
 *   form, the callback, a check, POST logout and a check that must then be a miss).
 * After one warm-up minute (the heap grows to its working size; reported, not compared), per minute it records wrk's
 * p50/p99, requests, errors (socket errors, non-2xx/3xx answers) and the server's peak RSS (sampled every 2 s), with
 * the logins done and failed. It fails (exit 1) on any error, on a last-minute p99 above 1.5 × the first's
 * (+1 ms), or a peak RSS that grew by more than 25 %. Every request goes to 127.0.0.1; the run stops by itself.
 * SOAK_SLICE_SECONDS shortens the slices (to try the script out); the figures are per slice then.
 */
import './env.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startDevIdp } from '../dev/idp.js';
import { Browser, TEST_CLIENT } from '../test/helpers/stack.js';
import { CLIENT_CORE, freePort, machine, pin, SERVER_CORE, spawnBundledServer, waitForPort } from './lib.js';

const execFileAsync = promisify(execFile);
const APP = 'https://app.example.com/dashboard?soak=1';
const SLICE_SECONDS = Number(process.env.SOAK_SLICE_SECONDS ?? 60);

interface Minute {
  minute: number;
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  rssMiB: number;
  logins: number;
  loginFailures: number;
}

function ms(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec((text ?? '').trim());
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/** The server's resident set, from /proc (the pinned child is the server itself: taskset execs it). */
function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round((kb / 1024) * 10) / 10;
}

/** 9 hits to 1 miss, as wrk's Lua `request` hook; both are what Traefik sends for a browser navigation. */
function wrkScript(token: string): string {
  const headers = (cookie: boolean) =>
    `{ ["X-Forwarded-Host"] = "app.example.com", ["X-Forwarded-Proto"] = "https", ["X-Forwarded-Uri"] = "/dashboard", ` +
    `["X-Forwarded-Method"] = "GET", ["X-Forwarded-For"] = "203.0.113.7", ["Accept"] = "text/html"` +
    `${cookie ? `, ["Cookie"] = "theme=dark; tf_sess_main=${token}"` : ''} }`;
  // Built in init: at load time wrk.host is not set yet, and a request formatted then has no Host header.
  return `local hit, miss
init = function(args)
  hit = wrk.format("GET", "/portals/main", ${headers(true)})
  miss = wrk.format("GET", "/portals/main", ${headers(false)})
end
local n = 0
request = function()
  n = n + 1
  if n % 10 == 0 then return miss end
  return hit
end
local shown = false
response = function(status, headers, body)
  if status >= 400 and not shown then
    shown = true
    io.stderr:write("first failed answer: " .. status .. " " .. string.sub(body, 1, 200) .. "\\n")
  end
end
`;
}

async function wrkSlice(
  url: string,
  script: string,
): Promise<Omit<Minute, 'minute' | 'rssMiB' | 'logins' | 'loginFailures'>> {
  const args = ['wrk', '-t1', '-c10', `-d${SLICE_SECONDS}s`, '--latency', '-s', script, url];
  const [cmd, ...rest] = [...pin(CLIENT_CORE), ...args] as [string, ...string[]];
  const { stdout: out, stderr } = await execFileAsync(cmd, rest, {
    encoding: 'utf8',
    timeout: (SLICE_SECONDS + 30) * 1000,
  });
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const non = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (socketErrors + non > 0) console.error(out + stderr);
  return {
    requests: Number(/(\d+) requests in/.exec(out)?.[1]),
    rps: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1])),
    p50ms: ms(/ 50%\s+(\S+)/.exec(out)?.[1]),
    p99ms: ms(/ 99%\s+(\S+)/.exec(out)?.[1]),
    errors: socketErrors + non,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' } } });
  const minutes = Number(values.minutes);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 120) throw new Error('--minutes: 1 to 120');

  const dir = mkdtempSync(join(tmpdir(), 'tfa-soak-'));
  const idp = await startDevIdp({ clients: [TEST_CLIENT], requirePkce: true, allowRedirect: () => true });
  const port = await freePort();
  const file = join(dir, 'tfa-config.json');
  writeFileSync(
    file,
    JSON.stringify({
      server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
      portals: [
        {
          name: 'main',
          providers: [
            {
              pocketID: {
                endpoint: idp.issuer,
                clientID: TEST_CLIENT.clientId,
                clientSecret: TEST_CLIENT.clientSecret,
              },
            },
          ],
        },
      ],
    }),
  );
  const server = spawnBundledServer(file, port);
  const url = `http://127.0.0.1:${port}`;
  let stopLogins = false;
  try {
    await waitForPort(port, server);
    const pid = server.pid ?? 0;

    // The session wrk's hits carry: a real login, never logged out.
    const first = new Browser({ server: url, idp: idp.issuer });
    if ((await first.login(APP)).at(-1)?.status !== 200) throw new Error('the first login failed');
    const token = (await first.cookie(APP, 'tf_sess_main'))?.value ?? '';
    const script = join(dir, 'mix.lua');
    writeFileSync(script, wrkScript(token));

    // Logins and logouts, one after the other, until the load stops.
    const tally = { logins: 0, failures: 0 };
    const loop = (async () => {
      for (let i = 0; !stopLogins; i++) {
        let ok = false;
        try {
          const b = new Browser({ server: url, idp: idp.issuer });
          const login = await b.login(APP, `soak-${i % 50}`);
          const out = await b.request('https://auth.example.com/portals/main/logout', {
            method: 'POST',
            headers: { Origin: 'https://auth.example.com' },
          });
          const after = await b.request(APP, { headers: { Accept: 'text/html' } });
          ok = login.at(-1)?.status === 200 && out.status === 303 && after.status === 303;
        } catch (err) {
          console.error(`login ${i}: ${String(err)}`);
        }
        tally.logins++;
        if (!ok) tally.failures++;
      }
    })();

    console.log(
      `soak: ${minutes} min on ${machine()}, server pid ${pid} on core ${SERVER_CORE}, wrk on ${CLIENT_CORE}`,
    );
    console.log('minute  requests   req/s  p50 ms  p99 ms  errors  peak RSS MiB  logins (failed)');
    const rows: Minute[] = [];
    for (let m = 0; m <= minutes; m++) {
      const before = { ...tally };
      // The RSS every 2 s: a single reading lands anywhere on the garbage collector's sawtooth; the minute's peak
      // is what a memory limit must allow.
      let peak = rssMiB(pid);
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssMiB(pid));
      }, 2000);
      const w = await wrkSlice(`${url}/portals/main`, script).finally(() => clearInterval(sampler));
      peak = Math.max(peak, rssMiB(pid));
      if (m === 0) {
        console.log(
          `warm-up  ${w.requests} requests, ${w.errors} errors, peak RSS ${peak.toFixed(1)} MiB (not compared)`,
        );
        if (w.errors > 0) throw new Error('errors during the warm-up minute');
        continue;
      }
      const row: Minute = {
        minute: m,
        ...w,
        rssMiB: peak,
        logins: tally.logins - before.logins,
        loginFailures: tally.failures - before.failures,
      };
      rows.push(row);
      console.log(
        `${String(m).padStart(6)}  ${String(row.requests).padStart(8)}  ${String(row.rps).padStart(6)}  ${row.p50ms.toFixed(2).padStart(6)}  ${row.p99ms.toFixed(2).padStart(6)}  ${String(row.errors).padStart(6)}  ${row.rssMiB.toFixed(1).padStart(12)}  ${row.logins} (${row.loginFailures})`,
      );
    }
    stopLogins = true;
    await loop;

    const [a, z] = [rows[0] as Minute, rows.at(-1) as Minute];
    const errors = rows.reduce((n, r) => n + r.errors + r.loginFailures, 0);
    const p99Flat = z.p99ms <= a.p99ms * 1.5 + 1;
    const rssFlat = z.rssMiB <= a.rssMiB * 1.25;
    const summary = {
      minutes,
      requests: rows.reduce((n, r) => n + r.requests, 0),
      logins: rows.reduce((n, r) => n + r.logins, 0),
      errors,
      p99ms: { first: a.p99ms, last: z.p99ms },
      rssMiB: { first: a.rssMiB, last: z.rssMiB },
      verdict: errors === 0 && p99Flat && rssFlat ? 'PASS' : 'FAIL',
    };
    console.log(`SOAK ${JSON.stringify(summary)}`);
    if (summary.verdict !== 'PASS') process.exitCode = 1;
  } finally {
    stopLogins = true;
    server.kill('SIGTERM');
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
