import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';

/** A free TCP port on 127.0.0.1 (asked from the OS, then released: configs that must name the port need it first). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the OS');
  return address.port;
}

/** Whether nothing listens on 127.0.0.1:`port` (and we may bind it). */
export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (free) await new Promise<void>((resolve) => server.close(() => resolve()));
  return free;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** Polls until 127.0.0.1:`port` accepts connections; throws after `timeoutMs` (with `why()` in the message). */
export async function waitForPort(port: number, timeoutMs: number, why: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms${why() ? `\n${why()}` : ''}`);
}

export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** If the test worker dies without running afterAll, its children must not outlive it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * Starts a child process (no shell), captures its output, and waits for `readyPort` to accept connections. If it
 * exits or does not open the port within `timeoutMs`, it is killed and the error carries its output.
 */
export async function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; readyPort: number; timeoutMs?: number },
): Promise<Managed> {
  installExitHook();
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  const append = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  void exited.then(() => running.delete(child));

  const managed: Managed = {
    name,
    child,
    output: () => out,
    stop: async (graceMs = 3000) => {
      // No pid: the spawn itself failed, and 'exit' may never come.
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
    },
  };

  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`${name}: could not start ${command}: ${err.message}`)));
    void exited.then(() =>
      reject(new Error(`${name} exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${out}`)),
    );
  });
  failed.catch(() => {}); // handled below; avoid an unhandled rejection once the process is stopped later
  try {
    await Promise.race([
      waitForPort(opts.readyPort, opts.timeoutMs ?? 15_000, () => `${name} output:\n${out}`),
      failed,
    ]);
  } catch (err) {
    await managed.stop(500);
    throw err;
  }
  return managed;
}
