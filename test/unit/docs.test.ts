import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configKeyTree, docKeyFor, flatten, referenceProblems } from '../../scripts/docs/config.js';
import { GENERATED_DOCS } from '../../scripts/docs.js';
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
