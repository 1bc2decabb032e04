import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../shared/config/errors.js';
import { parseConfig, validateConfig } from '../../shared/config/load.js';
import type { NormalizeOptions } from '../../shared/config/normalizer.js';
import { closestKey } from '../../shared/config/suggest.js';
import { catchError } from '../helpers/catch-error.js';

type Obj = Record<string, unknown>;
const P = 'portals[0].providers[0].pocketID';
const dir = mkdtempSync(join(tmpdir(), 'tfa-mistakes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withPocket(pocket: Obj, top: Obj = {}): Obj {
  return {
    ...top,
    portals: [
      { name: 'main', providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', ...pocket } }] },
    ],
  };
}

function issuesOf(data: unknown, options?: NormalizeOptions): ConfigIssue[] {
  return catchError(() => validateConfig(data, 'tfa-config.yaml', options), ConfigError).issues;
}

describe('start-up checks of provider credentials and endpoints', () => {
  it('rejects a clientSecretEnv naming a variable that is not set', () => {
    const issues = issuesOf(withPocket({ clientSecretEnv: 'POCKET_SECRET' }), { env: { HOME: '/root' } });
    expect(issues).toEqual([
      { path: `${P}.clientSecretEnv`, message: "names the environment variable 'POCKET_SECRET', which is not set" },
    ]);
  });

  it('rejects a clientSecretEnv naming an empty variable', () => {
    const issues = issuesOf(withPocket({ clientSecretEnv: 'POCKET_SECRET' }), { env: { POCKET_SECRET: ' ' } });
    expect(issues).toEqual([
      { path: `${P}.clientSecretEnv`, message: "names the environment variable 'POCKET_SECRET', which is empty" },
    ]);
  });

  it('accepts a clientSecretEnv whose variable is set, and does not check it without a runtime environment', () => {
    const data = withPocket({ clientSecretEnv: 'POCKET_SECRET' });
    expect(validateConfig(data, undefined, { env: { POCKET_SECRET: 's3cret' } }).config.portals).toHaveLength(1);
    expect(validateConfig(data).config.portals).toHaveLength(1);
  });

  it('rejects a clientSecretFile that cannot be read, naming the file and the reason', () => {
    const missing = join(dir, 'missing');
    expect(issuesOf(withPocket({ clientSecretFile: missing }))).toEqual([
      { path: `${P}.clientSecretFile`, message: `cannot read file: ENOENT (got ${JSON.stringify(missing)})` },
    ]);
    expect(issuesOf(withPocket({ clientSecretFile: dir }))).toEqual([
      { path: `${P}.clientSecretFile`, message: `cannot read file: EISDIR (got ${JSON.stringify(dir)})` },
    ]);
  });

  it.each([
    { endpoint: 'http://id.example.com', message: 'must use https' },
    { endpoint: 'id.example.com', message: 'must be an absolute URL' },
    { endpoint: 'ftp://id.example.com', message: 'must be an https URL' },
  ])('rejects the provider endpoint $endpoint', ({ endpoint, message }) => {
    expect(issuesOf(withPocket({ clientSecret: 's', endpoint }))).toEqual([
      { path: `${P}.endpoint`, message: expect.stringContaining(message) },
    ]);
  });

  it('accepts plain http for a loopback provider', () => {
    const data = withPocket({ clientSecret: 's', endpoint: 'http://127.0.0.1:1411' });
    expect(validateConfig(data).config.portals[0]?.providers[0]?.name).toBe('pocketid');
  });

  it('reports an unset variable, an unreadable file and a plain-http endpoint together, in one list', () => {
    const pocket = (over: Obj) => ({ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', ...over } });
    const data = {
      portals: [
        {
          name: 'main',
          providers: [
            pocket({ name: 'one', clientSecretEnv: 'UNSET_SECRET' }),
            pocket({ name: 'two', clientSecretFile: join(dir, 'nope') }),
            pocket({ name: 'three', clientSecret: 's', endpoint: 'http://id.example.com' }),
          ],
        },
      ],
    };
    expect(issuesOf(data, { env: {} }).map((i) => i.path)).toEqual([
      'portals[0].providers[0].pocketID.clientSecretEnv',
      'portals[0].providers[1].pocketID.clientSecretFile',
      'portals[0].providers[2].pocketID.endpoint',
    ]);
  });
});

describe('unknown keys suggest the key that was probably meant', () => {
  it.each([
    { data: withPocket({ clientSecert: 's' }), path: `${P}.clientSecert`, meant: 'clientSecret' },
    { data: withPocket({ clientSecret: 's', clientId: 'c2' }), path: `${P}.clientId`, meant: 'clientID' },
    { data: withPocket({ clientSecret: 's', endpiont: 'https://x' }), path: `${P}.endpiont`, meant: 'endpoint' },
    {
      data: {
        portals: [
          {
            name: 'main',
            providers: [{ pocketId: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
          },
        ],
      },
      path: 'portals[0].providers[0].pocketId',
      meant: 'pocketID',
    },
    { data: { ...withPocket({ clientSecret: 's' }), sever: { port: 80 } }, path: 'sever', meant: 'server' },
  ])('names $path and suggests $meant, with no knock-on error', ({ data, path, meant }) => {
    expect(issuesOf(data)).toEqual([{ path, message: `unknown key — did you mean '${meant}'?` }]);
  });

  it('still checks the value of a misspelt key as the key it was probably meant to be', () => {
    const issues = issuesOf(withPocket({ clientSecret: 's' }, { server: { prot: 0 } }));
    expect(issues).toEqual([
      { path: 'server.prot', message: "unknown key — did you mean 'port'?" },
      { path: 'server.port', message: 'must be between 1 and 65535 (got 0)' },
    ]);
  });

  it('suggests nothing for a key that is not close to any, and keeps listing those together', () => {
    const issues = issuesOf(withPocket({ clientSecret: 's' }, { server: { zzz: 1, qqqq: 2 } }));
    expect(issues).toEqual([{ path: 'server', message: "unknown keys 'zzz', 'qqqq'" }]);
  });

  it('does not rename a misspelt key over one that is also set', () => {
    const issues = issuesOf(withPocket({ clientSecret: 's', clientSecert: 't' }));
    expect(issues).toEqual([{ path: `${P}.clientSecert`, message: "unknown key — did you mean 'clientSecret'?" }]);
  });

  it.each([
    ['clientSecert', 'clientSecret'],
    ['CLIENTSECRET', 'clientSecret'],
    ['clientSecre', 'clientSecret'],
    ['scope', 'scopes'],
    ['secret', undefined],
    ['x', undefined],
  ])('closestKey(%s) is %s', (unknown, want) => {
    expect(closestKey(unknown, ['clientSecret', 'clientSecretFile', 'clientID', 'scopes', 'name'])).toBe(want);
  });
});

describe('YAML aliases that no config can hold (found by test/unit/fuzz.test.ts)', () => {
  it.each([
    ['an alias inside the node it names', '&a [*a]', 'YAML: an alias refers to a node that contains it (a cycle)'],
    [
      'an alias bomb',
      'a: &x [1]\nb: &y [*x,*x,*x,*x,*x,*x,*x,*x,*x,*x]\nc: [*y,*y,*y,*y,*y,*y,*y,*y,*y,*y,*y,*y]',
      'YAML: Excessive alias count indicates a resource exhaustion attack',
    ],
  ])('reports %s as a ConfigError', (_name, text, message) => {
    // Act
    const err = catchError(() => parseConfig(text, 'tfa-config.yaml'), ConfigError);

    // Assess
    expect(err.issues).toEqual([{ path: '', message }]);
  });
});
