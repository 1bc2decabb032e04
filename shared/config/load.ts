import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue, showValue } from './errors.js';
import { type NormalizeOptions, type Notice, normalizeConfig } from './normalize.js';
import { rawConfigSchema } from './schema.js';
import type { Config } from './types.js';

export interface LoadedConfig {
  config: Config;
  notices: Notice[];
  /** The file it came from, if any. */
  source?: string;
}

/** Upstream's search paths, with our `tfa-config.yaml` name first. */
export function configSearchPaths(cwd: string, home = homedir()): string[] {
  const bases = [
    join(cwd, 'tfa-config'),
    join(cwd, 'config'),
    join(home, '.traefik-forward-auth', 'config'),
    '/etc/traefik-forward-auth/config',
  ];
  return [...bases.map((b) => `${b}.yaml`), ...bases.map((b) => `${b}.yml`)];
}

/**
 * Finds the config file: `TFA_CONFIG` (which must exist) or the first existing search path.
 * @returns undefined when no file exists and `TFA_CONFIG` is unset.
 * @throws ConfigError when `TFA_CONFIG` points at a missing file.
 */
export function findConfigFile(env: Record<string, string | undefined>, cwd: string): string | undefined {
  const explicit = env.TFA_CONFIG;
  if (explicit) {
    if (!existsSync(explicit))
      throw new ConfigError([{ path: '', message: `TFA_CONFIG points at '${explicit}', which does not exist` }]);
    return explicit;
  }
  return configSearchPaths(cwd).find((p) => existsSync(p));
}

function zodPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = zodPath(issue.path);
    if (issue.code === 'unrecognized_keys')
      return {
        path,
        message: `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((k) => `'${k}'`).join(', ')}`,
      };
    if (issue.code === 'invalid_type')
      return { path, message: `must be ${article(issue.expected)} (got ${showValue(path, issue.input)})` };
    return { path, message: issue.message };
  });
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/**
 * Parses and validates YAML config text, collecting every problem (YAML syntax, unknown keys, types, values).
 * @throws ConfigError listing all issues.
 */
export function parseConfig(text: string, source?: string, options: NormalizeOptions = {}): LoadedConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })),
      source,
    );
  return validateConfig(doc.toJS() ?? {}, source, options);
}

/** Validates an already-parsed config object (YAML or JSON). @throws ConfigError */
export function validateConfig(data: unknown, source?: string, options: NormalizeOptions = {}): LoadedConfig {
  const parsed = rawConfigSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    // Report value problems too, not only shape problems: drop the offending keys and check the rest.
    const issues = zodIssues(parsed.error);
    const cleaned = withoutBadKeys(data, parsed.error);
    const retry = cleaned.removed.length > 0 ? rawConfigSchema.safeParse(cleaned.data) : undefined;
    if (retry?.success) {
      const more = normalizeConfig(retry.data, options).issues.filter(
        (i) => !cleaned.removed.some((r) => i.path === r || i.path.startsWith(`${r}.`) || i.path.startsWith(`${r}[`)),
      );
      issues.push(...more);
    }
    throw new ConfigError(issues, source);
  }
  const { config, issues, notices } = normalizeConfig(parsed.data, options);
  if (issues.length > 0) throw new ConfigError(issues, source);
  return { config, notices, source };
}

/** A deep copy of `data` without the keys zod complained about, and the dotted paths that were removed. */
function withoutBadKeys(data: unknown, error: z.ZodError): { data: unknown; removed: string[] } {
  const copy: unknown = structuredClone(data);
  const removed: string[] = [];
  for (const issue of error.issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of keys) {
      const last = path.at(-1);
      let parent: unknown = copy;
      for (const p of path.slice(0, -1)) parent = (parent as Record<PropertyKey, unknown> | undefined)?.[p];
      if (last === undefined || typeof parent !== 'object' || parent === null) continue;
      if (Array.isArray(parent) && typeof last === 'number') parent[last] = {};
      else delete (parent as Record<PropertyKey, unknown>)[last];
      removed.push(zodPath(path));
    }
  }
  return { data: copy, removed };
}

/** Reads and validates a config file. @throws ConfigError */
export function loadConfigFile(path: string, options: NormalizeOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '', message: `cannot read '${path}': ${(err as NodeJS.ErrnoException).code}` }]);
  }
  return parseConfig(text, path, options);
}
