import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { RECIPES_DIR, renderRecipe } from './harness/recipes.js';

const DOC = fileURLToPath(new URL('../../docs/proxies.md', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The forwardAuth settings of the tested recipe's `tfa-main`, address aside. */
function testedForwardAuth(): Record<string, unknown> {
  const values = {
    APP_HOST: 'app.example.com',
    AUTH_HOST: 'auth.example.com',
    AUTH_ADDRESS: 'https://x',
    PORTAL: 'main',
    AUTH_UPSTREAM: 'http://127.0.0.1:4181',
    APP_UPSTREAM: 'http://127.0.0.1:3000',
  };
  const { address: _, ...rest } = parse(renderRecipe('traefik.dedicated.yml', values)).http.middlewares['tfa-main']
    .forwardAuth as Record<string, unknown>;
  return rest;
}

/** The ```yaml blocks of a markdown text that follow a heading containing `heading`. */
function yamlBlocksUnder(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(heading);
  const end = markdown.indexOf('\n#', start + heading.length);
  const section = markdown.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

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
  it.each([
    'Caddyfile.dedicated',
    'Caddyfile.subpath',
    'Caddyfile.mtls',
    'nginx.conf',
    'traefik.static.yml',
    'traefik.dedicated.yml',
    'traefik.subpath.yml',
    'traefik.mtls.yml',
  ])('show docs/recipes/%s exactly as the e2e suite runs it', (file) => {
    // Prepare
    const markdown = readFileSync(DOC, 'utf8');

    // Act
    const shown = embeddedRecipes(markdown).get(file);

    // Assess
    expect(shown).toBe(readFileSync(`${RECIPES_DIR}${file}`, 'utf8'));
  });

  it('gives the Docker-label middleware the same forwardAuth settings as the tested Traefik recipe', () => {
    // Prepare
    const [compose = ''] = yamlBlocksUnder(readFileSync(DOC, 'utf8'), '### Docker labels');
    const labels: string[] = parse(compose).services.app.labels;

    // Act: traefik.http.middlewares.tfa-main.forwardauth.<option>=<value>, as Traefik's label parser reads them.
    const options: Record<string, unknown> = {};
    for (const label of labels) {
      const m = /^traefik\.http\.middlewares\.tfa-main\.forwardauth\.(\w+)=(.*)$/.exec(label);
      if (!m?.[1] || m[2] === undefined || m[1] === 'address') continue;
      const v = m[2];
      options[m[1]] = v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v.includes(',') ? v.split(',') : v;
    }

    // Assess
    expect(options).toEqual(testedForwardAuth());
  });

  it('gives the Kubernetes Middleware the same forwardAuth settings as the tested Traefik recipe', () => {
    // Prepare
    const [crds = ''] = yamlBlocksUnder(readFileSync(DOC, 'utf8'), '### Kubernetes');
    const middleware = parseAllDocuments(crds)
      .map((d) => d.toJS())
      .find((d) => d.kind === 'Middleware');

    // Act
    const { address: _, ...options } = middleware.spec.forwardAuth;

    // Assess
    expect(options).toEqual(testedForwardAuth());
  });

  it('writes every ?if= condition of a Traefik address URL-encoded in the docs and the README', () => {
    // Prepare
    const texts = [readFileSync(DOC, 'utf8'), readFileSync(README, 'utf8')];

    // Act: conditions in a query (`?if=` or `&if=`) with a raw quote or bracket (a closing YAML quote aside).
    const raw = texts
      .flatMap((t) => [...t.matchAll(/[?&]if=[^\s`]*/g)].map((m) => m[0].replace(/"$/, '')))
      .filter((q) => /["()]/.test(q));

    // Assess
    expect(raw).toEqual([]);
  });

  it('refuses to render a recipe with a placeholder left without a value', () => {
    // Prepare
    const values = { APP_SITE: 'app.example.com', AUTH_UPSTREAM: '127.0.0.1:4181', PORTAL: 'main' };

    // Act
    const render = () => renderRecipe('Caddyfile.subpath', values);

    // Assess
    expect(render).toThrow(/placeholders without a value: \[APP_UPSTREAM\]/);
  });
});
