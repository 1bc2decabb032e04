/**
 * Renders `docs/config.md` and `tfa-config.example.yaml` from the config schema (which keys exist, their types) and
 * `shared/config/reference.ts` (what they mean). `npm run docs` writes them; test/unit/docs.test.ts fails when the
 * committed files differ, so the reference cannot drift from the code.
 */
import type { z } from 'zod';
import { EXAMPLE_CONFIG, KEY_DOCS, type KeyDoc, PROVIDER_PREFIX } from '../../shared/config/reference.js';
import { duration, rawConfigSchema } from '../../shared/config/schema.js';

type Schema = z.core.$ZodType;

/** The list of provider elements; each element sets one kind. */
const PROVIDERS_PATH = PROVIDER_PREFIX.slice(0, -3);

/** One key of the schema, in schema order. */
export interface KeyNode {
  /** `server.domains[].domain` */
  path: string;
  key: string;
  schema: Schema;
  kind: 'object' | 'objects' | 'leaf';
  children: KeyNode[];
}

function unwrap(s: Schema): Schema {
  let cur = s;
  while (cur._zod.def.type === 'optional' || cur._zod.def.type === 'nullable')
    cur = (cur._zod.def as unknown as { innerType: Schema }).innerType;
  return cur;
}

function shapeOf(s: Schema): Record<string, Schema> {
  return (s as unknown as { shape: Record<string, Schema> }).shape;
}

function elementOf(s: Schema): Schema {
  return (s._zod.def as unknown as { element: Schema }).element;
}

function walk(shape: Record<string, Schema>, prefix: string): KeyNode[] {
  return Object.entries(shape).map(([key, raw]) => {
    const path = `${prefix}${key}`;
    const s = unwrap(raw);
    if (s._zod.def.type === 'object')
      return { path, key, schema: raw, kind: 'object', children: walk(shapeOf(s), `${path}.`) };
    if (s._zod.def.type === 'array' && unwrap(elementOf(s))._zod.def.type === 'object')
      return { path, key, schema: raw, kind: 'objects', children: walk(shapeOf(unwrap(elementOf(s))), `${path}[].`) };
    return { path, key, schema: raw, kind: 'leaf', children: [] };
  });
}

/** Every key of `tfa-config.yaml`, as a tree in schema order. */
export function configKeyTree(): KeyNode[] {
  return walk(shapeOf(rawConfigSchema), '');
}

export function flatten(nodes: KeyNode[]): KeyNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

/** The provider kind of a path under `portals[].providers[]`, if any. */
function providerKind(path: string): { kind: string; rest: string } | undefined {
  if (!path.startsWith(PROVIDER_PREFIX)) return undefined;
  const [kind, ...rest] = path.slice(PROVIDER_PREFIX.length).split('.');
  return kind ? { kind, rest: rest.join('.') } : undefined;
}

/** The reference entry documenting `path`, exact first, then the shared provider entry. */
export function docKeyFor(path: string): string | undefined {
  if (KEY_DOCS[path]) return path;
  const p = providerKind(path);
  if (p?.rest) {
    const shared = `${PROVIDER_PREFIX}*.${p.rest}`;
    if (KEY_DOCS[shared]) return shared;
  }
  return undefined;
}

/**
 * Problems between the schema and the reference: keys without an entry, entries naming no key, leaves without an
 * example. Empty when the two agree.
 */
export function referenceProblems(): string[] {
  const nodes = flatten(configKeyTree());
  const problems: string[] = [];
  const used = new Set<string>();
  for (const n of nodes) {
    const key = docKeyFor(n.path);
    if (!key) {
      problems.push(`${n.path}: no entry in shared/config/reference.ts KEY_DOCS`);
      continue;
    }
    used.add(key);
    if (n.kind === 'leaf' && KEY_DOCS[key]?.example === undefined && n.schema !== undefined && !isUnknown(n))
      problems.push(`${n.path}: the entry ${key} has no example`);
  }
  for (const key of Object.keys(KEY_DOCS))
    if (!used.has(key)) problems.push(`${key}: documented in shared/config/reference.ts but not a key of the schema`);
  return problems;
}

function isUnknown(n: KeyNode): boolean {
  return unwrap(n.schema)._zod.def.type === 'unknown';
}

function docOf(n: KeyNode): KeyDoc {
  const key = docKeyFor(n.path);
  const doc = key ? KEY_DOCS[key] : undefined;
  if (!doc) throw new Error(`${n.path}: no entry in shared/config/reference.ts KEY_DOCS`);
  return doc;
}

/** The user-facing type of a key. */
export function typeOf(n: KeyNode): string {
  if (n.kind === 'object') return 'object';
  if (n.kind === 'objects') return 'list of objects';
  const s = unwrap(n.schema);
  if (s === duration) return 'duration';
  switch (s._zod.def.type) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number': {
      const checks = (s._zod.def as { checks?: { _zod: { def: { format?: string } } }[] }).checks ?? [];
      return checks.some((c) => c._zod.def.format === 'safeint') ? 'integer' : 'number';
    }
    case 'array':
      return `list of ${unwrap(elementOf(s))._zod.def.type}s`;
    case 'unknown':
      return '—';
    default:
      return s._zod.def.type;
  }
}

// ---------- docs/config.md ----------

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

function defaultCell(doc: KeyDoc): string {
  const d = doc.default;
  if (d === undefined) return '—';
  // Prose defaults ("required", "per kind", "the `domain`") are shown as written; YAML values as code.
  if (d.includes('`') || /\s/.test(d) || d === 'required' || d === 'bundled') return cell(d);
  return code(d);
}

function meaningCell(doc: KeyDoc): string {
  const tags = [doc.ours ? '**ours**' : '', doc.deprecated ? '**deprecated**' : ''].filter(Boolean).join(', ');
  return cell(tags ? `${tags}: ${doc.description}` : doc.description);
}

function exampleCell(n: KeyNode, doc: KeyDoc): string {
  return doc.example === undefined ? '—' : code(`${n.key}: ${doc.example}`);
}

function row(name: string, n: KeyNode, doc: KeyDoc): string {
  return `| ${code(name)} | ${typeOf(n)} | ${defaultCell(doc)} | ${meaningCell(doc)} | ${exampleCell(n, doc)} |`;
}

const TABLE_HEAD = '| key | type | default | meaning | example |\n|---|---|---|---|---|';

/** Rows for every descendant of `node`, keys relative to it (`domains[].domain`). */
function rows(node: KeyNode, skip: (n: KeyNode) => boolean = () => false): string[] {
  const base = node.kind === 'objects' ? `${node.path}[].` : `${node.path}.`;
  return flatten(node.children)
    .filter((n) => !skip(n))
    .map((n) => row(n.path.slice(base.length), n, docOf(n)));
}

function providerSection(providers: KeyNode): string[] {
  const kinds = providers.children;
  const out: string[] = [
    '## Providers (`portals[].providers[]`)',
    '',
    docOf(providers).description,
    `Each element sets exactly one of ${kinds.map((k) => code(k.key)).join(', ')}.`,
    '',
    '### Keys shared by provider kinds',
    '',
    'A key missing from a kind’s column is an unknown key for that kind (an error).',
    '',
    '| key | kinds | type | default | meaning | example |',
    '|---|---|---|---|---|---|',
  ];
  const shared = new Map<string, { node: KeyNode; kinds: string[] }>();
  for (const kind of kinds)
    for (const n of kind.children) {
      const key = docKeyFor(n.path);
      if (!key?.startsWith(`${PROVIDER_PREFIX}*.`)) continue;
      const entry = shared.get(n.key) ?? { node: n, kinds: [] };
      entry.kinds.push(kind.key);
      shared.set(n.key, entry);
    }
  for (const [key, { node, kinds: ks }] of shared) {
    const doc = KEY_DOCS[`${PROVIDER_PREFIX}*.${key}`] as KeyDoc;
    const which = ks.length === kinds.filter((k) => k.kind === 'object').length ? 'all' : ks.join(', ');
    out.push(
      `| ${code(key)} | ${which} | ${typeOf(node)} | ${defaultCell(doc)} | ${meaningCell(doc)} | ${exampleCell(node, doc)} |`,
    );
  }
  for (const kind of kinds) {
    const own = kind.children.filter((n) => !docKeyFor(n.path)?.startsWith(`${PROVIDER_PREFIX}*.`));
    out.push('', `### ${code(kind.key)}`, '', docOf(kind).description);
    if (own.length > 0) out.push('', TABLE_HEAD, ...own.map((n) => row(n.key, n, docOf(n))));
  }
  return out;
}

export function renderConfigMarkdown(): string {
  const tree = configKeyTree();
  const out: string[] = [
    '# Configuration reference (`tfa-config.yaml`)',
    '',
    '<!-- Generated by `npm run docs` from shared/config/schema.ts and shared/config/reference.ts: edit those. -->',
    '',
    'The schema is upstream Traefik Forward Auth v4’s, plus a `sessions` block and a few keys marked **ours**.',
    'Unknown keys are errors. Durations are Go-style strings (`30s`, `5m`, `2h`, `1h30m`). Every problem is reported at',
    'once with its key path, e.g. `portals[0].providers[0].pocketID.endpoint: must use https (...) (got "http://id.example.com")`.',
    'Secret values are never echoed in errors or logs. A commented example with every key:',
    '[tfa-config.example.yaml](../tfa-config.example.yaml).',
  ];
  for (const node of tree) {
    const doc = docOf(node);
    out.push('', `## ${code(node.path)}`, '');
    if (node.kind === 'leaf') {
      out.push(TABLE_HEAD, row(node.key, node, doc));
      continue;
    }
    out.push(doc.ours ? `**ours**: ${doc.description}` : doc.description, '', TABLE_HEAD);
    if (node.path === 'portals') {
      out.push(...rows(node, (n) => n.path.startsWith(PROVIDERS_PATH)));
      const providers = node.children.find((c) => c.key === 'providers');
      out.push(row('providers', providers as KeyNode, docOf(providers as KeyNode)));
      out.push('', ...providerSection(providers as KeyNode));
    } else out.push(...rows(node));
  }
  return `${out.join('\n')}\n`;
}

// ---------- tfa-config.example.yaml ----------

const WIDTH = 100;
/** Shown uncommented-ready in every provider kind of the example: what a working provider needs. */
const ESSENTIAL_PROVIDER_KEYS = ['clientID', 'clientSecretFile'];

function plain(markdown: string): string {
  return markdown.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1').replace(/\*\*/g, '');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function yamlScalar(value: unknown): string {
  if (typeof value === 'string')
    return /^[\w./:@-][\w ./:@-]*$/.test(value) && !/: /.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

class YamlWriter {
  readonly lines: string[] = [];
  /** Reference entries already described once (shared provider keys are described at their first use). */
  private readonly described = new Set<string>();

  comment(indent: string, n: KeyNode): void {
    const key = docKeyFor(n.path) as string;
    if (this.described.has(key)) return;
    this.described.add(key);
    const doc = docOf(n);
    const tags = [doc.ours ? 'ours' : '', doc.deprecated ? 'deprecated' : ''].filter(Boolean).join(', ');
    let text = plain(doc.description);
    if (tags) text = `(${tags}) ${text}`;
    if (doc.default === 'required') text += ' Required.';
    else if (doc.default !== undefined) text += ` Default: ${plain(doc.default).replace(/`/g, '')}.`;
    for (const l of wrap(text, WIDTH - indent.length - 2)) this.lines.push(`${indent}# ${l}`);
  }

  /**
   * Writes the keys of an object. `active` holds the example's values: a key present there is written as is, every
   * other key is commented out. `first` is the "- " of a list element, put before the first key line.
   */
  object(nodes: KeyNode[], active: Record<string, unknown> | undefined, indent: string, first = ''): void {
    let lead = first;
    const alsoAccepts: string[] = [];
    for (const n of nodes) {
      // A provider kind left commented out shows its own keys and a credential; the shared keys already described
      // (with another kind's example values) are only named.
      if (active === undefined && this.isDescribedSharedKey(n) && !ESSENTIAL_PROVIDER_KEYS.includes(n.key)) {
        alsoAccepts.push(n.key);
        continue;
      }
      const value = active?.[n.key];
      const on = value !== undefined;
      const mark = (text: string) => {
        const line = lead
          ? `${indent.slice(0, -2)}${on ? '' : '# '}${lead}${text}`
          : `${indent}${on ? '' : '# '}${text}`;
        lead = '';
        return line;
      };
      if (!lead) this.comment(indent, n);
      else {
        // The description of a list element's first key goes above its "- ".
        this.comment(indent.slice(0, -2), n);
      }
      if (n.kind === 'leaf') {
        const example = docOf(n).example;
        if (!on && example === undefined) {
          this.lines.push(mark(`${n.key}: {}`));
          continue;
        }
        this.lines.push(mark(`${n.key}: ${on ? yamlScalar(value) : example}`));
      } else if (n.kind === 'object') {
        this.lines.push(mark(`${n.key}:`));
        this.object(n.children, value as Record<string, unknown> | undefined, `${indent}  `);
      } else {
        this.lines.push(mark(`${n.key}:`));
        this.list(n, value as Record<string, unknown>[] | undefined, `${indent}  `);
      }
    }
    if (alsoAccepts.length > 0)
      for (const l of wrap(
        `Also accepts the shared keys described above: ${alsoAccepts.join(', ')}.`,
        WIDTH - indent.length - 2,
      ))
        this.lines.push(`${indent}# ${l}`);
  }

  private isDescribedSharedKey(n: KeyNode): boolean {
    const key = docKeyFor(n.path);
    return key?.startsWith(`${PROVIDER_PREFIX}*.`) === true && this.described.has(key);
  }

  list(n: KeyNode, active: Record<string, unknown>[] | undefined, indent: string): void {
    const elements = active ?? [];
    const providers = n.path === PROVIDERS_PATH;
    for (const el of elements)
      this.object(
        providers ? n.children.filter((kind) => el[kind.key] !== undefined) : n.children,
        el,
        `${indent}  `,
        '- ',
      );
    if (providers) {
      // One kind per element: each kind the example does not use is shown as its own commented-out element.
      for (const kind of n.children)
        if (!elements.some((el) => el[kind.key] !== undefined)) this.object([kind], undefined, `${indent}  `, '- ');
    } else if (elements.length === 0) this.object(n.children, undefined, `${indent}  `, '- ');
  }
}

export function renderExampleYaml(): string {
  const w = new YamlWriter();
  w.lines.push(
    '# tfa-config.yaml: every key, with its meaning, default and an example value.',
    '# Generated by `npm run docs` from shared/config/schema.ts and shared/config/reference.ts: edit those.',
    '# Active lines are a minimal working config; uncomment what you need. Reference: docs/config.md',
    '',
  );
  const tree = configKeyTree();
  for (const n of tree) {
    w.object([n], EXAMPLE_CONFIG as Record<string, unknown>, '');
    w.lines.push('');
  }
  return `${w.lines.join('\n').trimEnd()}\n`;
}
