/** The issue and notice collector the config normalisers share (`normalize.ts`, `normalize-providers.ts`). */
import { readFileSync } from 'node:fs';
import { parseDuration } from './duration.js';
import { type ConfigIssue, showValue } from './errors.js';

export const MINUTE = 60_000;

export interface NormalizeOptions {
  /** Read `clientSecretFile` / `tlsCACertificatePath` now, so a missing file is a config error. @default true */
  readFiles?: boolean;
  /**
   * The environment the server will run with: when given, a `clientSecretEnv` naming an unset or empty variable is an
   * error now rather than at the first login. Left out where the environment is not the runtime's (`cdk synth`).
   */
  env?: Record<string, string | undefined>;
  /**
   * Accept a provider with neither a client secret nor an assertion: at `cdk synth` the stack creates a Secrets
   * Manager secret for it. @default false
   */
  allowMissingCredential?: boolean;
  /**
   * Whether the logs go to a terminal. Without `logs.json`, logs are text on a terminal and JSON otherwise (as
   * upstream documents), so a container's log collector gets JSON with no setting. @default true
   */
  logsToTerminal?: boolean;
}

export interface Notice {
  level: 'warn' | 'info' | 'debug';
  message: string;
}

/** Collects issues and notices while turning a schema-valid raw config into a `Config`. */
export class Normalizer {
  readonly issues: ConfigIssue[] = [];
  readonly notices: Notice[] = [];
  constructor(
    readonly opts: Required<NormalizeOptions>,
    /** Whether `opts.env` is the runtime environment (it was passed), so `clientSecretEnv` can be checked. */
    readonly checkEnv = false,
  ) {}

  error(path: string, message: string, value?: unknown): void {
    this.issues.push({ path, message: value === undefined ? message : `${message} (got ${showValue(path, value)})` });
  }

  duration(path: string, value: string | undefined, fallback: number): number {
    if (value === undefined) return fallback;
    const ms = parseDuration(value);
    if (ms === undefined) {
      this.error(path, 'must be a duration such as "30s", "5m" or "2h"', value);
      return fallback;
    }
    return ms;
  }

  readFile(path: string, file: string): string | undefined {
    if (!this.opts.readFiles) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      this.error(path, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, file);
      return undefined;
    }
  }
}
