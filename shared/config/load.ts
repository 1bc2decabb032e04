import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDocument, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue, isSecretKey, showValue } from './errors.js';
import { normalizeConfig } from './normalize.js';
import type { NormalizeOptions, Notice } from './normalizer.js';
import { rawConfigSchema } from './schema.js';
import { closestKey, knownKeysAt } from './suggest.js';
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

/** The key an unknown key was probably meant to be, if one is close (see `closestKey`). */
function suggestionFor(issuePath: readonly PropertyKey[], key: string): string | undefined {
  return closestKey(key, knownKeysAt(rawConfigSchema, issuePath));
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((issue): ConfigIssue[] => {
    const path = zodPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      // A likely typo gets its own line at its own path, with the key it was probably meant to be.
      const guessed = issue.keys.filter((k) => suggestionFor(issue.path, k) !== undefined);
      const rest = issue.keys.filter((k) => !guessed.includes(k));
      return [
        ...guessed.map((k) => ({
          path: zodPath([...issue.path, k]),
          message: `unknown key — did you mean '${suggestionFor(issue.path, k)}'?`,
        })),
        ...(rest.length === 0
          ? []
          : [
              {
                path,
                message: `unknown ${rest.length === 1 ? 'key' : 'keys'} ${rest.map((k) => `'${k}'`).join(', ')}`,
              },
            ]),
      ];
    }
    if (issue.code === 'invalid_type')
      return [{ path, message: `must be ${article(issue.expected)} (got ${showValue(path, issue.input)})` }];
    return [{ path, message: issue.message }];
  });
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/**
 * A config line safe to print: the value of a secret key (`clientSecret: …`) and anything that looks like key
 * material (a long base64 run, as in a PEM block) are hidden.
 */
function withoutSecret(line: string): string {
  const pair = /^(\s*(?:-\s+)?)([^:#\s][^:#]*?)(:\s*)(.*)$/.exec(line);
  if (pair && isSecretKey(pair[2] ?? '') && pair[4]) return `${pair[1]}${pair[2]}${pair[3]}(value hidden)`;
  if (/[A-Za-z0-9+/=_-]{16,}/.test(line) && !pair) return `${/^\s*/.exec(line)?.[0] ?? ''}(value hidden)`;
  return line;
}

/** A YAML syntax error with its line and column, and the offending line with a caret under the column. */
function yamlIssue(text: string, error: YAMLError): ConfigIssue {
  const what = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'syntax error';
  const pos = error.linePos?.[0];
  if (!pos) return { path: '', message: `YAML syntax error: ${what}` };
  const raw = text.split(/\r?\n/)[pos.line - 1];
  const line = raw === undefined ? undefined : withoutSecret(raw);
  const gutter = String(pos.line).padStart(6);
  const excerpt =
    line === undefined || line === ''
      ? `\n${gutter} | (end of file)`
      : `\n${gutter} | ${line}\n${' '.repeat(6)} | ${' '.repeat(Math.max(0, pos.col - 1))}^`;
  return { path: '', message: `YAML syntax error at line ${pos.line}, column ${pos.col}: ${what}${excerpt}` };
}

/**
 * Parses and validates YAML config text, collecting every problem (YAML syntax, unknown keys, types, values).
 * @throws ConfigError listing all issues.
 */
export function parseConfig(text: string, source?: string, options: NormalizeOptions = {}): LoadedConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      doc.errors.map((e) => yamlIssue(text, e)),
      source,
    );
  let data: unknown;
  try {
    // yaml refuses alias bombs (more than 100 alias expansions) with a ReferenceError.
    data = doc.toJS();
  } catch (err) {
    throw new ConfigError([{ path: '', message: `YAML: ${err instanceof Error ? err.message : String(err)}` }], source);
  }
  // An alias inside the node it names (`&a [*a]`) makes a cyclic value that no key can hold.
  if (isCyclic(data))
    throw new ConfigError(
      [{ path: '', message: 'YAML: an alias refers to a node that contains it (a cycle)' }],
      source,
    );
  return validateConfig(data ?? {}, source, options);
}

function isCyclic(value: unknown, ancestors = new Set<object>()): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const children = value instanceof Map ? [...value.values()] : Object.values(value);
  const cyclic = children.some((v) => isCyclic(v, ancestors));
  ancestors.delete(value);
  return cyclic;
}

/** Validates an already-parsed config object (YAML or JSON). @throws ConfigError */
export function validateConfig(data: unknown, source?: string, options: NormalizeOptions = {}): LoadedConfig {
  const parsed = rawConfigSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    // Report value problems too, not only shape problems: drop the offending keys and check the rest.
    const issues = zodIssues(parsed.error);
    const cleaned = withoutBadKeys(data, parsed.error);
    const retry =
      cleaned.removed.length > 0 || cleaned.renamed > 0 ? rawConfigSchema.safeParse(cleaned.data) : undefined;
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

/**
 * A deep copy of `data` without the keys zod complained about (likely typos renamed to the key they were meant to
 * be), the dotted paths that were removed, and how many keys were renamed.
 */
function withoutBadKeys(data: unknown, error: z.ZodError): { data: unknown; removed: string[]; renamed: number } {
  const copy: unknown = structuredClone(data);
  const removed: string[] = [];
  let renamed = 0;
  for (const issue of error.issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of keys) {
      const last = path.at(-1);
      let parent: unknown = copy;
      for (const p of path.slice(0, -1)) parent = (parent as Record<PropertyKey, unknown> | undefined)?.[p];
      if (last === undefined || typeof parent !== 'object' || parent === null) continue;
      // A likely typo is checked as the key it was probably meant to be, so it causes no knock-on error (such as
      // "a client credential is required" for `clientSecert`).
      const meant =
        typeof last === 'string' && issue.code === 'unrecognized_keys' ? suggestionFor(issue.path, last) : undefined;
      if (typeof last === 'string' && meant !== undefined && !Object.hasOwn(parent, meant)) {
        const obj = parent as Record<string, unknown>;
        obj[meant] = obj[last];
        delete obj[last];
        renamed++;
        continue;
      }
      if (Array.isArray(parent) && typeof last === 'number') parent[last] = {};
      else delete (parent as Record<PropertyKey, unknown>)[last];
      removed.push(zodPath(path));
    }
  }
  return { data: copy, removed, renamed };
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
