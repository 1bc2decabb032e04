import { isIP } from 'node:net';

export interface DemoInputs {
  /** `--demo` was given. */
  demoFlag: boolean;
  /** The config file found, if any. */
  configFile: string | undefined;
  /** stdin and stdout are both terminals: a person started it, not a service manager or a container. */
  interactive: boolean;
  nodeEnv: string | undefined;
  /** `--bind`, if given. */
  bind: string | undefined;
  /** Where a config file was looked for (for the message). */
  searched: readonly string[];
}

/**
 * Whether to start the demo (whose identity provider accepts any user name and password), so that it never starts by
 * accident: only with `--demo`, or with no config file in an interactive session outside `NODE_ENV=production`; and
 * never listening beyond loopback. A server with a lost config mount would otherwise come up as an open demo.
 * @returns 'demo' | 'config'; or an error message (exit non-zero) naming the paths searched.
 */
export function demoDecision(i: DemoInputs): 'demo' | 'config' | { error: string } {
  const demo = i.demoFlag || (i.configFile === undefined && i.interactive && i.nodeEnv !== 'production');
  if (!demo) {
    if (i.configFile !== undefined) return 'config';
    const why = i.nodeEnv === 'production' ? 'NODE_ENV is production' : 'not run from a terminal';
    return {
      error:
        `No config file found (looked for TFA_CONFIG, then ${i.searched.join(', ')}). ` +
        `The demo starts on its own only interactively and outside production (${why}): pass --config <file>, or ` +
        '--demo to run the demo anyway.',
    };
  }
  if (i.bind !== undefined && !isLoopback(i.bind))
    return {
      error: `--bind ${i.bind}: the demo accepts any user name and password, so it listens on loopback only (127.0.0.1 or ::1)`,
    };
  return 'demo';
}

function isLoopback(addr: string): boolean {
  const a = addr.replace(/^\[|\]$/g, '').toLowerCase();
  if (a === 'localhost' || a === '::1') return true;
  return isIP(a) === 4 && a.startsWith('127.');
}
