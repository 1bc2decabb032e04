import type { LogLevel } from './config/types.js';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level: LogLevel;
  json: boolean;
  /** Where lines go. @default process.stdout */
  write?: (line: string) => void;
  now?: () => Date;
}

/** Query parameters whose values never reach a log (upstream masks these on the callback). */
const SECRET_PARAMS = /([?&](?:code|state|session_state|id_token|access_token)=)[^&#]*/gi;

/** Masks OAuth codes and states in a path+query, as upstream does for the callback's access log. */
export function maskQuery(pathAndQuery: string): string {
  return pathAndQuery.replace(SECRET_PARAMS, '$1***');
}

function errorFields(err: unknown): LogFields {
  if (!(err instanceof Error)) return { error: String(err) };
  const out: LogFields = { error: err.message, errorName: err.name };
  if (err.cause instanceof Error) out.cause = `${err.cause.name}: ${err.cause.message}`;
  return out;
}

/**
 * A small structured logger: one line per event, JSON (`logs.json`) or `key=value` text. Error objects in fields
 * are reduced to their messages. Callers never pass cookies, tokens, codes or secrets; `maskQuery` covers paths.
 */
export function createLogger(opts: LoggerOptions, base: LogFields = {}): Logger {
  const min = LEVELS[opts.level];
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = opts.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (LEVELS[level] < min) return;
    const all: LogFields = { ...base };
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      if (k === 'err') Object.assign(all, errorFields(v));
      else all[k] = v;
    }
    if (opts.json) {
      write(JSON.stringify({ time: now().toISOString(), level: level.toUpperCase(), msg, ...all }));
      return;
    }
    const kv = Object.entries(all)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    write(`${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${kv ? ` ${kv}` : ''}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(opts, { ...base, ...fields }),
    enabled: (level) => LEVELS[level] >= min,
  };
}
