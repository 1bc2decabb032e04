import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The proxy recipes published in docs/recipes/: the e2e suite runs these very files, so the docs cannot drift. */
export const RECIPES_DIR = fileURLToPath(new URL('../../../docs/recipes/', import.meta.url));

const PLACEHOLDER = /\{\{([A-Z0-9_]+)\}\}/g;

/**
 * Fills a recipe's `{{NAME}}` placeholders. Every placeholder must get a value and every value must be used, so a
 * recipe edit that adds or drops one fails the suite instead of silently producing a different config.
 */
export function renderRecipe(file: string, values: Record<string, string | number>): string {
  const template = readFileSync(join(RECIPES_DIR, file), 'utf8');
  const used = new Set<string>();
  const missing = new Set<string>();
  const text = template.replace(PLACEHOLDER, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    used.add(name);
    return String(value);
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (missing.size > 0 || unused.length > 0)
    throw new Error(
      `recipe ${file}: placeholders without a value: [${[...missing].join(', ')}]; values not used: [${unused.join(', ')}]`,
    );
  return text;
}

/** Renders a recipe into `dir/name` and returns the path. */
export function writeRecipe(dir: string, file: string, values: Record<string, string | number>, name = file): string {
  const path = join(dir, name);
  writeFileSync(path, renderRecipe(file, values));
  return path;
}
