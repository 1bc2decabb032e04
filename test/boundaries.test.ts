/**
 * The import rules of the tree (README "Project layout"), checked two ways:
 * - an import scan of every .ts file (type-only imports included: a type arrow is still an arrow), for the rules on
 *   source folders;
 * - the esbuild metafiles of the Lambda bundles (dist/<fn>/meta.json, written by scripts/build.mjs), for what each
 *   function actually ships. The verify function runs on every proxied request, so it must stay small.
 * A failure names the importing file, the chain from where the walk started, and the rule.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCANNED = ['shared', 'functions', 'infra', 'bin', 'dev'];

// ---------------------------------------------------------------------------------------------------------------------
// The import scan

/** `import … from 'x'`, `export … from 'x'`, `import 'x'` and `import('x')`, comments removed first. */
const SPECIFIER =
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(join(ROOT, rel)).isDirectory()) return tsFiles(rel);
    return rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}

/** A repo-relative path for a relative specifier (`./x.js` → `dir/x.ts`), or the package name for a bare one. */
function resolveSpecifier(from: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const abs = resolve(ROOT, dirname(from), spec);
  const ts = abs.replace(/\.js$/, '.ts');
  return relative(ROOT, existsSync(ts) ? ts : abs)
    .split('\\')
    .join('/');
}

function scanImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
  return [...text.matchAll(SPECIFIER)].map((m) => resolveSpecifier(file, m[1] ?? m[2] ?? m[3] ?? ''));
}

/** file → what it imports (repo paths for our files, package names otherwise). */
type Graph = Map<string, string[]>;

function sourceGraph(): Graph {
  return new Map(SCANNED.flatMap(tsFiles).map((f) => [f, scanImports(f)]));
}

/** A broken rule: who imports what, through which chain. */
interface Violation {
  chain: string[];
}

/** Walks from `start` (breadth first, so each chain is a shortest one) and returns every reached node `bad` matches. */
function reach(graph: Graph, start: string, bad: (node: string) => boolean, follow = (_: string) => true): Violation[] {
  const parent = new Map<string, string | undefined>([[start, undefined]]);
  const queue = [start];
  const found: Violation[] = [];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const next of graph.get(node) ?? []) {
      if (parent.has(next)) continue;
      parent.set(next, node);
      if (bad(next)) {
        const chain = [next];
        for (let p: string | undefined = node; p !== undefined; p = parent.get(p)) chain.unshift(p);
        found.push({ chain });
      } else if (follow(next)) queue.push(next);
    }
  }
  return found;
}

function report(rule: string, violations: Violation[]): string[] {
  return violations.map(({ chain }) => {
    const importer = chain[chain.length - 2];
    return `${importer} imports ${chain[chain.length - 1]} (chain: ${chain.join(' -> ')}); rule: ${rule}`;
  });
}

const under = (dir: string) => (node: string) => node.startsWith(`${dir}/`);
const anyOf =
  (...tests: ((node: string) => boolean)[]) =>
  (node: string) =>
    tests.some((t) => t(node));

/** Every violation of `rule` reached from the files `starts` selects: one line per import, with its shortest chain. */
function check(
  graph: Graph,
  rule: string,
  starts: (f: string) => boolean,
  bad: (node: string) => boolean,
  transitive: boolean,
): string[] {
  const shortest = new Map<string, Violation>();
  for (const f of [...graph.keys()].filter(starts))
    for (const v of reach(graph, f, bad, () => transitive)) {
      const edge = v.chain.slice(-2).join(' -> ');
      const known = shortest.get(edge);
      if (!known || v.chain.length < known.chain.length) shortest.set(edge, v);
    }
  return report(rule, [...shortest.values()]);
}

describe('import rules (source scan)', () => {
  const graph = sourceGraph();

  it('scans every folder of the tree and resolves relative imports to files', () => {
    expect(graph.get('functions/verify-handler.ts')).toContain('shared/app/base.ts');
    expect(graph.get('functions/runtime.ts')).toContain('aws-lambda');
    expect(graph.get('shared/sessions/dynamodb.ts')).toContain('@aws-sdk/lib-dynamodb');
    expect(graph.size).toBeGreaterThan(80);
  });

  it('shared/ never imports functions/, infra/, bin/ or dev/, nor the Lambda types or adapter', () => {
    const problems = check(
      graph,
      'shared/ never imports functions/, infra/, bin/, dev/ or aws-lambda',
      under('shared'),
      anyOf(under('functions'), under('infra'), under('bin'), under('dev'), (n) =>
        ['aws-lambda', '@types/aws-lambda', 'hono/aws-lambda'].includes(n),
      ),
      false,
    );
    expect(problems).toEqual([]);
  });

  it('infra/ never reaches shared/routes or shared/providers, even through other files', () => {
    const problems = check(
      graph,
      'infra/ never reaches shared/routes or shared/providers',
      under('infra'),
      anyOf(under('shared/routes'), under('shared/providers')),
      true,
    );
    expect(problems).toEqual([]);
  });

  it('shared/config/ reaches nothing else in shared/', () => {
    const problems = check(
      graph,
      'shared/config/ reaches nothing in shared/ outside shared/config/',
      under('shared/config'),
      (n) => under('shared')(n) && !under('shared/config')(n),
      true,
    );
    expect(problems).toEqual([]);
  });

  it('reports the importing file, the chain and the rule', () => {
    const fake: Graph = new Map([
      ['infra/a.ts', ['shared/config/types.ts', 'infra/b.ts']],
      ['infra/b.ts', ['shared/providers/tls.ts']],
    ]);
    expect(check(fake, 'R', (f) => f === 'infra/a.ts', under('shared/providers'), true)).toEqual([
      'infra/b.ts imports shared/providers/tls.ts (chain: infra/a.ts -> infra/b.ts -> shared/providers/tls.ts); rule: R',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// The bundles

interface Metafile {
  inputs: Record<string, { imports: { path: string; kind?: string; external?: boolean }[] }>;
}

/** The bundle's import graph; `staticOnly` leaves out `import()` edges (code that loads only when called). */
function bundleGraph(fn: string, staticOnly = false): { graph: Graph; files: string[] } {
  const meta: Metafile = JSON.parse(readFileSync(join(ROOT, 'dist', fn, 'meta.json'), 'utf8'));
  const graph: Graph = new Map(
    Object.entries(meta.inputs).map(([file, input]) => [
      file,
      input.imports.filter((i) => !i.external && !(staticOnly && i.kind === 'dynamic-import')).map((i) => i.path),
    ]),
  );
  return { graph, files: Object.keys(meta.inputs) };
}

const has = (files: string[], needle: string) => files.some((f) => f.includes(needle));

describe('the verify bundle', () => {
  const { graph, files } = bundleGraph('verify');

  it.each([
    ['openid-client', 'node_modules/openid-client/'],
    ['undici (npm)', 'node_modules/undici/'],
    ['the Secrets Manager client', 'node_modules/@aws-sdk/client-secrets-manager/'],
    ['the STS client', 'node_modules/@aws-sdk/client-sts/'],
    ['the HTML portal', 'shared/portal/'],
    ['the secret resolver', 'shared/secrets/'],
    ['the client-assertion sources', 'shared/assertions/'],
    ['the identity providers', 'shared/providers/'],
    // On Lambda the credentials are in the environment (functions/env-credentials.ts stands in for the chain).
    ['the default credential chain', 'node_modules/@aws-sdk/credential-provider-node/'],
    ['the STS and SSO clients of the credential chain', 'node_modules/@aws-sdk/nested-clients/'],
    ['the IMDS credential provider', 'node_modules/@smithy/credential-provider-imds/'],
    // Lambda writes CloudWatch EMF (functions/metrics.ts); Prometheus is the standalone server's (bin/metrics.ts).
    ['prom-client', 'node_modules/prom-client/'],
    // Its one GetItem is signed by hand (shared/sessions/dynamodb-reader.ts): the SDK client was most of its cold start.
    ['the SDK DynamoDB client', 'node_modules/@aws-sdk/client-dynamodb/'],
    ['the DynamoDB document client', 'node_modules/@aws-sdk/lib-dynamodb/'],
    ['the SDK store', 'shared/sessions/dynamodb.ts'],
  ])('contains no %s', (name, path) => {
    const problems = report(
      `the verify bundle must not contain ${name} (${path})`,
      reach(graph, 'functions/verify.ts', (n) => n.includes(path)),
    );
    expect(problems).toEqual([]);
  });

  it('contains the verify use case, the signed GetItem (AWS SigV4 signer) and hono', () => {
    expect(has(files, 'shared/routes/verify.ts')).toBe(true);
    expect(has(files, 'shared/sessions/dynamodb-reader.ts')).toBe(true);
    expect(has(files, 'node_modules/@smithy/signature-v4/')).toBe(true);
    expect(has(files, 'node_modules/hono/')).toBe(true);
  });

  it('stays under 600 KB minified', () => {
    expect(statSync(join(ROOT, 'dist/verify/index.mjs')).size).toBeLessThan(600 * 1024);
  });
});

describe('the login bundle', () => {
  const { files } = bundleGraph('login');

  it('contains the portal pages and openid-client but no Secrets Manager or STS client', () => {
    expect(has(files, 'shared/portal/pages.ts')).toBe(true);
    expect(has(files, 'node_modules/openid-client/')).toBe(true);
    expect(has(files, 'node_modules/@aws-sdk/client-secrets-manager/')).toBe(false);
    expect(has(files, 'node_modules/@aws-sdk/client-sts/')).toBe(false);
  });
});

describe('the callback bundle', () => {
  const { files } = bundleGraph('callback');

  it('is the one that carries Secrets Manager and STS', () => {
    expect(has(files, 'node_modules/@aws-sdk/client-secrets-manager/')).toBe(true);
    expect(has(files, 'node_modules/@aws-sdk/client-sts/')).toBe(true);
  });
});

describe.each(['verify', 'login', 'callback'])('the %s bundle', (fn) => {
  it("carries none of the standalone server's Prometheus metrics (prom-client, bin/metrics.ts)", () => {
    const { files } = bundleGraph(fn);
    expect(files.filter((f) => f.includes('node_modules/prom-client/') || f.includes('bin/metrics.ts'))).toEqual([]);
  });
});

describe.each(['login', 'callback'])('the %s bundle', (fn) => {
  it('loads npm undici only when a provider with TLS options makes its first call', () => {
    const { graph, files } = bundleGraph(fn, true);
    expect(has(files, 'node_modules/undici/')).toBe(true);
    const problems = report(
      `the ${fn} bundle must import npm undici lazily (shared/providers/tls.ts)`,
      reach(graph, `functions/${fn}.ts`, (n) => n.includes('node_modules/undici/')),
    );
    expect(problems).toEqual([]);
  });

  it('contains no default credential chain (Lambda credentials are in the environment)', () => {
    expect(has(bundleGraph(fn).files, 'node_modules/@aws-sdk/credential-provider-node/')).toBe(false);
  });
});

describe('what the verify function evaluates at a cold start', () => {
  interface Outputs {
    outputs: Record<string, { imports: { path: string; kind: string }[]; inputs: Record<string, unknown> }>;
  }
  const meta: Outputs = JSON.parse(readFileSync(join(ROOT, 'dist', 'verify', 'meta.json'), 'utf8'));

  /** Output files index.mjs loads statically (import statements), itself included. */
  function staticClosure(): string[] {
    const seen = new Set<string>();
    const queue = Object.keys(meta.outputs).filter((o) => o.endsWith('/index.mjs'));
    while (queue.length > 0) {
      const out = queue.shift() as string;
      if (seen.has(out)) continue;
      seen.add(out);
      for (const i of meta.outputs[out]?.imports ?? []) if (i.kind === 'import-statement') queue.push(i.path);
    }
    return [...seen];
  }

  it('keeps the SSM client (identity-assertion keys) in a chunk loaded only when the feature is on', () => {
    const eager = staticClosure().flatMap((o) => Object.keys(meta.outputs[o]?.inputs ?? {}));
    const all = Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs));
    expect(all.some((f) => f.includes('node_modules/@aws-sdk/client-ssm/'))).toBe(true);
    expect(eager.filter((f) => f.includes('node_modules/@aws-sdk/client-ssm/'))).toEqual([]);
    expect(eager.some((f) => f.includes('functions/ssm-parameter.ts'))).toBe(false);
  });
});
