/**
 * What each Lambda bundle contains, read from esbuild's metafile (dist/<fn>/meta.json). The verify function runs on
 * every proxied request, so it must stay free of the OIDC client, Secrets Manager, STS and the HTML portal.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function inputs(fn: string): string[] {
  const meta: { inputs: Record<string, unknown> } = JSON.parse(readFileSync(`${ROOT}/dist/${fn}/meta.json`, 'utf8'));
  return Object.keys(meta.inputs);
}

const has = (files: string[], needle: string) => files.some((f) => f.includes(needle));

describe('the verify bundle', () => {
  const files = inputs('verify');

  it.each([
    ['openid-client', 'node_modules/openid-client/'],
    ['the Secrets Manager client', 'node_modules/@aws-sdk/client-secrets-manager/'],
    ['the STS client', 'node_modules/@aws-sdk/client-sts/'],
    ['the HTML portal', 'shared/portal/'],
    ['the secret resolver', 'shared/secrets/'],
    ['the client-assertion sources', 'shared/assertions/'],
  ])('contains no %s', (_name, path) => {
    expect(files.filter((f) => f.includes(path))).toEqual([]);
  });

  it('contains the verify use case, the DynamoDB client and hono', () => {
    expect(has(files, 'shared/routes/verify.ts')).toBe(true);
    expect(has(files, 'node_modules/@aws-sdk/client-dynamodb/')).toBe(true);
    expect(has(files, 'node_modules/hono/')).toBe(true);
  });

  it('stays under 600 KB minified', () => {
    expect(statSync(`${ROOT}/dist/verify/index.mjs`).size).toBeLessThan(600 * 1024);
  });
});

describe('the login bundle', () => {
  const files = inputs('login');

  it('contains the portal pages and openid-client but no Secrets Manager or STS client', () => {
    expect(has(files, 'shared/portal/pages.ts')).toBe(true);
    expect(has(files, 'node_modules/openid-client/')).toBe(true);
    expect(has(files, 'node_modules/@aws-sdk/client-secrets-manager/')).toBe(false);
    expect(has(files, 'node_modules/@aws-sdk/client-sts/')).toBe(false);
  });
});

describe('the callback bundle', () => {
  const files = inputs('callback');

  it('is the one that carries Secrets Manager and STS', () => {
    expect(has(files, 'node_modules/@aws-sdk/client-secrets-manager/')).toBe(true);
    expect(has(files, 'node_modules/@aws-sdk/client-sts/')).toBe(true);
  });
});
