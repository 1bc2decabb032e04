import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RECIPES_DIR, renderRecipe } from './harness/recipes.js';

const DOC = fileURLToPath(new URL('../../docs/proxies.md', import.meta.url));

/** The fenced block that follows each `<!-- recipe: docs/recipes/<file> -->` marker in docs/proxies.md. */
function embeddedRecipes(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- recipe: docs\/recipes\/(\S+) -->\n```[a-z]*\n([\s\S]*?)```\n/g)) {
    const [, file, body] = m;
    if (file !== undefined && body !== undefined) out.set(file, body);
  }
  return out;
}

describe('the proxy recipes in docs/proxies.md', () => {
  it.each(['Caddyfile.dedicated', 'Caddyfile.subpath', 'nginx.conf'])(
    'show docs/recipes/%s exactly as the e2e suite runs it',
    (file) => {
      // Prepare
      const markdown = readFileSync(DOC, 'utf8');

      // Act
      const shown = embeddedRecipes(markdown).get(file);

      // Assess
      expect(shown).toBe(readFileSync(`${RECIPES_DIR}${file}`, 'utf8'));
    },
  );

  it('refuses to render a recipe with a placeholder left without a value', () => {
    // Prepare
    const values = { APP_SITE: 'app.example.com', AUTH_UPSTREAM: '127.0.0.1:4181', PORTAL: 'main' };

    // Act
    const render = () => renderRecipe('Caddyfile.subpath', values);

    // Assess
    expect(render).toThrow(/placeholders without a value: \[APP_UPSTREAM\]/);
  });
});
