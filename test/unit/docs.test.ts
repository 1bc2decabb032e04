import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configKeyTree, docKeyFor, flatten, referenceProblems } from '../../scripts/docs/config.js';
import { GENERATED_DOCS } from '../../scripts/docs.js';
import { registerCallbackRoutes } from '../../shared/app/callback-routes.js';
import { registerLoginRoutes } from '../../shared/app/login-routes.js';
import { registerVerifyRoutes } from '../../shared/app/verify-routes.js';
import { CONDITION_FUNCTION_NAMES, compileCondition } from '../../shared/conditions/conditions.js';
import { parseConfig } from '../../shared/config/load.js';
import { KEY_DOCS } from '../../shared/config/reference.js';

const root = join(import.meta.dirname, '../..');

describe('generated documentation', () => {
  it('documents every config key, and only keys that exist', () => {
    expect(referenceProblems(), 'fix shared/config/reference.ts, then run npm run docs').toEqual([]);
  });

  for (const [file, render] of Object.entries(GENERATED_DOCS))
    it(`${file} is what the code generates`, () => {
      const committed = readFileSync(join(root, file), 'utf8');
      // Not toEqual: a diff of a whole file hides the instruction.
      if (committed !== render()) expect.fail(`${file} is out of date: run npm run docs (and commit the result)`);
    });

  it('gives every leaf key an example its own schema accepts', () => {
    for (const n of flatten(configKeyTree()).filter((k) => k.kind === 'leaf')) {
      const example = KEY_DOCS[docKeyFor(n.path) as string]?.example;
      if (example === undefined) continue;
      const result = (n.schema as unknown as { safeParse(v: unknown): { success: boolean } }).safeParse(parse(example));
      expect(result.success, `${n.path}: example ${example}`).toBe(true);
    }
  });

  it('ships an example config whose active lines load without errors', () => {
    const text = readFileSync(join(root, 'tfa-config.example.yaml'), 'utf8');
    const { config } = parseConfig(text, 'tfa-config.example.yaml', { readFiles: false });
    expect(config.portals.map((p) => p.name)).toEqual(['main']);
    expect(config.server.domains).toEqual([{ domain: 'example.com', authHost: 'auth.example.com' }]);
  });
});

/** The rows of every table in a markdown file, as cells (`\|` inside a cell is a literal bar). */
function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('|---'))
    .map((l) =>
      l
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((c) => c.replace(/\\\|/g, '|')),
    );
}

const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

describe('docs/routes.md', () => {
  const rows = tableRows(readFileSync(join(root, 'docs/routes.md'), 'utf8'));
  const documented = rows.flatMap(([method, paths, fn]) =>
    codeSpans(paths ?? '').map((p) => ({ method, path: p.replace(/[?[].*$/, ''), fn })),
  );
  const registered: { method: string; path: string; fn: string }[] = [];
  const deps = { config: { server: { basePath: '' }, portals: [] } } as never;
  for (const [fn, register] of [
    ['verify', registerVerifyRoutes],
    ['login', registerLoginRoutes],
    ['callback', registerCallbackRoutes],
  ] as const) {
    const app = new Hono();
    (register as unknown as (a: Hono, d: never) => void)(app, deps);
    for (const r of app.routes)
      registered.push({
        method: r.method,
        path: r.path.replace(/^\/portals\/:portal/, 'P').replace(/:(\w+)/g, '<$1>'),
        fn,
      });
  }

  it('lists every route the apps register, with the function that serves it', () => {
    expect(registered.length).toBeGreaterThan(8);
    for (const r of registered) {
      if (r.path === '/*' || r.path === '*') continue; // static assets: their own row
      expect(
        documented.some((d) => d.method === r.method && d.path === r.path && d.fn === r.fn),
        `${r.method} ${r.path} (${r.fn}) is not in docs/routes.md`,
      ).toBe(true);
    }
  });

  it('lists no portal route that no app registers', () => {
    for (const d of documented.filter((x) => x.path.startsWith('P') || x.path.startsWith('/api/')))
      expect(
        registered.some((r) => r.method === d.method && r.path === d.path && r.fn === d.fn),
        `${d.method} ${d.path} (${d.fn})`,
      ).toBe(true);
  });
});

describe('docs/conditions.md', () => {
  const text = readFileSync(join(root, 'docs/conditions.md'), 'utf8');
  const rows = tableRows(text);

  it('documents every condition function', () => {
    const documented = rows.flatMap(([first]) => codeSpans(first ?? '')).map((s) => s.replace(/\(.*$/, ''));
    for (const name of CONDITION_FUNCTION_NAMES) expect(documented, name).toContain(name);
  });

  it('shows examples that compile, with the exact URL-encoded form', () => {
    const examples = rows.filter(([, encoded]) => encoded?.startsWith('`') && encoded.includes('%'));
    expect(examples.length).toBeGreaterThan(5);
    const strictEncode = (s: string) =>
      encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    for (const [condition, encoded] of examples) {
      const [source] = codeSpans(condition ?? '');
      const [form] = codeSpans(encoded ?? '');
      expect(() => compileCondition(source as string), source).not.toThrow();
      expect(form, source).toBe(strictEncode(source as string));
      expect(new URLSearchParams(`if=${form}`).get('if')).toBe(source);
    }
  });

  it('opens with examples that compile', () => {
    const blocks = [...text.matchAll(/```text\n([\s\S]*?)```/g)];
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks)
      for (const line of (block[1] as string).split('\n').filter(Boolean))
        expect(() => compileCondition(line), line).not.toThrow();
  });
});
