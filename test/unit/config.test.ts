import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../shared/config/duration.js';
import { ConfigError, type ConfigIssue } from '../../shared/config/errors.js';
import {
  configSearchPaths,
  findConfigFile,
  type LoadedConfig,
  loadConfigFile,
  parseConfig,
  validateConfig,
} from '../../shared/config/load.js';
import { canonicalHeaderName } from '../../shared/config/names.js';
import { splitAuthHost } from '../../shared/config/normalize.js';
import type { NormalizeOptions } from '../../shared/config/normalizer.js';
import type { ProviderConfig } from '../../shared/config/types.js';
import { SecretResolver } from '../../shared/secrets/resolver.js';
import { catchError } from '../helpers/catch-error.js';

type Obj = Record<string, unknown>;

const POCKET: Obj = { endpoint: 'https://id.example.com', clientID: 'client-1', clientSecret: 'secret-1' };
const OIDC: Obj = { tokenIssuer: 'https://issuer.example.com', clientID: 'client-2', clientSecret: 'secret-2' };
const PROVIDER_PATH = 'portals[0].providers[0].pocketID';

/** A self-signed CA certificate (validation only parses it; no key is needed). */
const CA_PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBizCCATGgAwIBAgIUNSBK0S1c5FataH5T4gEsFh5CCUQwCgYIKoZIzj0EAwIw',
  'GzEZMBcGA1UEAwwQdGZhIHVuaXQgdGVzdCBDQTAeFw0yNjExMjkyMTE3NDhaFw0z',
  'NjExMjYyMTE3NDhaMBsxGTAXBgNVBAMMEHRmYSB1bml0IHRlc3QgQ0EwWTATBgcq',
  'hkjOPQIBBggqhkjOPQMBBwNCAAQqC0i3DCXAnNtM6chxjGgb+YcB2MzHFinU/XHH',
  'YGvKC9ZX1Z2xV224YQj1f9suiK6jy4ygnZclCDxkKxKtoFMHo1MwUTAdBgNVHQ4E',
  'FgQUG1qA1AO9sBg8HKg/vU7OSaqDrtowHwYDVR0jBBgwFoAUG1qA1AO9sBg8HKg/',
  'vU7OSaqDrtowDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAswFL',
  'LaAstD2lO6EYuGSFMuEZZOdbQw0dgmJ6xDK+KkkCIDJjf2AoDxvCEA0GuhscbAI3',
  'tp/dBr6meCbEKzoA5QQt',
  '-----END CERTIFICATE-----',
  '',
].join('\n');

/** The minimal valid config (one portal, one provider), with overrides for the portal and the top level. */
function withPortal(portal: Obj = {}, top: Obj = {}): Obj {
  return { ...top, portals: [{ name: 'main', providers: [{ pocketID: POCKET }], ...portal }] };
}

/** A config whose only provider is a `type` provider with `over` applied to its options. */
function withProvider(over: Obj, type: 'pocketID' | 'openIDConnect' = 'pocketID'): Obj {
  const base = type === 'pocketID' ? POCKET : OIDC;
  return withPortal({ providers: [{ [type]: { ...base, ...over } }] });
}

function load(data: unknown, options?: NormalizeOptions): LoadedConfig {
  return validateConfig(data, undefined, options);
}

/** Runs `fn`, requiring a ConfigError. */
function configError(fn: () => unknown): ConfigError {
  return catchError(fn, ConfigError);
}

function issuesOf(data: unknown, options?: NormalizeOptions): ConfigIssue[] {
  return configError(() => load(data, options)).issues;
}

function firstProvider(loaded: LoadedConfig): ProviderConfig {
  const provider = loaded.config.portals[0]?.providers[0];
  if (!provider) throw new Error('no provider in the loaded config');
  return provider;
}

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tfa-config-test-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('upstream config_test.go: TestValidateConfig', () => {
  it('accepts the minimal config with one portal and one provider, filling in the defaults', () => {
    // Prepare
    const data = withPortal();

    // Act
    const { config, notices } = load(data);

    // Assess
    expect(notices).toEqual([]);
    expect(config.server).toMatchObject({ domains: [], port: 4181, bind: '0.0.0.0', basePath: '' });
    expect(config.cookies).toEqual({ namePrefix: 'tf_sess', insecure: false });
    expect(config.tokens.sessionLifetime).toBe(2 * 3600_000);
    expect(config.logs).toEqual({ level: 'info', json: false, omitHealthChecks: true });
    expect(config.portals).toHaveLength(1);
    expect(config.portals[0]).toMatchObject({
      name: 'main',
      displayName: 'main',
      alwaysShowProvidersPage: false,
      authenticationTimeout: 5 * 60_000,
      sessionLifetime: 2 * 3600_000,
      headers: undefined,
    });
    expect(config.portals[0]?.providers[0]).toMatchObject({
      type: 'pocketID',
      name: 'pocketid',
      displayName: 'Pocket ID',
      icon: 'pocketid',
      color: 'zinc',
      requestTimeout: 10_000,
      scopes: ['openid', 'profile', 'email', 'groups'],
      // Upstream defaults enablePKCE to false; PKCE is on by default here (DESIGN §3.3).
      enablePKCE: true,
      clientSecret: { kind: 'inline', value: 'secret-1' },
    });
  });

  it.each([
    { logsToTerminal: true, json: undefined, want: false },
    { logsToTerminal: false, json: undefined, want: true },
    { logsToTerminal: false, json: false, want: false },
    { logsToTerminal: true, json: true, want: true },
  ])('logs JSON when logs.json is $json and the logs go to a terminal: $logsToTerminal → $want', (c) => {
    const { config } = load(withPortal({}, { logs: { json: c.json } }), { logsToTerminal: c.logsToTerminal });
    expect(config.logs.json).toBe(c.want);
  });

  it('keeps server domains, defaulting a missing authHost to the domain ("uses server domains")', () => {
    // Prepare
    const data = withPortal(
      {},
      { server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }, { domain: 'example.org' }] } },
    );

    // Act
    const { config } = load(data);

    // Assess
    expect(config.server.domains).toEqual([
      { domain: 'example.com', authHost: 'auth.example.com' },
      { domain: 'example.org', authHost: 'example.org' },
    ]);
  });

  it('lower-cases domains and authHosts and drops their trailing dots ("normalizes server domains")', () => {
    // Prepare
    const data = withPortal(
      {},
      {
        server: {
          domains: [{ domain: 'Example.Com', authHost: 'Auth.Example.Com.' }, { domain: 'Apps.Example.Com.' }],
        },
      },
    );

    // Act
    const { config } = load(data);

    // Assess
    expect(config.server.domains).toEqual([
      { domain: 'example.com', authHost: 'auth.example.com' },
      { domain: 'apps.example.com', authHost: 'apps.example.com' },
    ]);
  });

  it('keeps the first of two domains that are equal after normalisation ("dedupes server domains by domain")', () => {
    // Prepare
    const data = withPortal(
      {},
      { server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }, { domain: 'Example.Com' }] } },
    );

    // Act
    const { config } = load(data);

    // Assess
    expect(config.server.domains).toEqual([{ domain: 'example.com', authHost: 'auth.example.com' }]);
  });

  it.each([
    { authHost: 'auth.example.com:8443', want: 'auth.example.com:8443' },
    { authHost: 'Auth.Example.Com:30443', want: 'auth.example.com:30443' },
    { authHost: 'auth.example.com:443', want: 'auth.example.com' },
    { authHost: '', want: 'example.com' },
  ])('keeps a custom authHost port: $authHost → $want', ({ authHost, want }) => {
    // Prepare
    const data = withPortal({}, { server: { domains: [{ domain: 'example.com', authHost }] } });

    // Act
    const { config } = load(data);

    // Assess
    expect(config.server.domains).toEqual([{ domain: 'example.com', authHost: want }]);
  });

  it.each([
    { entry: { domain: 'example.com', authHost: 'auth.example.com', authPort: 8443 }, want: 'auth.example.com:8443' },
    { entry: { domain: 'example.com', authPort: 30443 }, want: 'example.com:30443' },
    { entry: { domain: 'example.com', authHost: 'auth.example.com', authPort: 443 }, want: 'auth.example.com' },
  ])("accepts upstream's authPort: $entry.authPort → $want", ({ entry, want }) => {
    const { config } = load(withPortal({}, { server: { domains: [entry] } }));
    expect(config.server.domains).toEqual([{ domain: 'example.com', authHost: want }]);
  });

  it.each([
    { authHost: 'auth.example.com:8443', authPort: 8443, message: "set the port either in 'authHost'" },
    { authHost: 'auth.example.com', authPort: 0, message: 'must be between 1 and 65535 (got 0)' },
    { authHost: 'auth.example.com', authPort: 65536, message: 'must be between 1 and 65535 (got 65536)' },
  ])('rejects authPort $authPort with authHost $authHost, naming server.domains[0].authPort', (entry) => {
    const { authHost, authPort, message } = entry;
    const data = withPortal({}, { server: { domains: [{ domain: 'example.com', authHost, authPort }] } });
    expect(() => load(data)).toThrow(`server.domains[0].authPort: ${message}`);
  });

  it.each(['auth.example.com:70000', 'auth.example.com:abc', 'auth.example.com:0', 'auth.example.com:'])(
    'rejects the authHost %s, naming server.domains[0].authHost',
    (authHost) => {
      // Prepare
      const data = withPortal({}, { server: { domains: [{ domain: 'example.com', authHost }] } });

      // Act
      const issues = issuesOf(data);

      // Assess
      expect(issues).toEqual([{ path: 'server.domains[0].authHost', message: expect.stringContaining('port') }]);
    },
  );

  it('rejects an authHost that is not the domain or a sub-domain of it', () => {
    // Prepare
    const data = withPortal({}, { server: { domains: [{ domain: 'example.com', authHost: 'auth.example.org' }] } });

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([{ path: 'server.domains[0].authHost', message: expect.stringContaining('sub-domain') }]);
  });

  it('rejects a domain entry without a domain, naming server.domains[0].domain', () => {
    // Prepare
    const data = withPortal({}, { server: { domains: [{ authHost: 'auth.example.com' }] } });

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([{ path: 'server.domains[0].domain', message: 'is required' }]);
  });

  it.each(['bad host!', 'a..b', '[::1'])(
    'rejects the domain %s, which is neither a host name nor an IP address',
    (domain) => {
      // Prepare
      const data = withPortal({}, { server: { domains: [{ domain }] } });

      // Act
      const issues = issuesOf(data);

      // Assess
      expect(issues).toEqual([{ path: 'server.domains[0].domain', message: expect.stringContaining('host name') }]);
    },
  );

  it('migrates the legacy cookies.domain into server.domains with a deprecation warning', () => {
    // Prepare
    const data = withPortal({}, { cookies: { domain: 'Example.Com' } });

    // Act
    const { config, notices } = load(data);

    // Assess
    expect(config.server.domains).toEqual([{ domain: 'example.com', authHost: 'example.com' }]);
    expect(notices).toEqual([
      { level: 'warn', message: expect.stringMatching(/'cookies\.domain' is deprecated.*server\.domains/) },
    ]);
  });

  it('migrates the legacy cookies.domain with server.hostname as its authHost', () => {
    // Prepare
    const data = withPortal({}, { cookies: { domain: 'example.com' }, server: { hostname: 'Auth.Example.Com' } });

    // Act
    const { config } = load(data);

    // Assess
    expect(config.server.domains).toEqual([{ domain: 'example.com', authHost: 'auth.example.com' }]);
  });

  it('ignores server.hostname without the legacy cookies.domain, with a warning', () => {
    // Prepare
    const data = withPortal({}, { server: { hostname: 'auth.example.com', domains: [{ domain: 'example.com' }] } });

    // Act
    const { config, notices } = load(data);

    // Assess
    expect(config.server.domains).toEqual([{ domain: 'example.com', authHost: 'example.com' }]);
    expect(notices).toEqual([{ level: 'warn', message: expect.stringContaining("'server.hostname' is deprecated") }]);
  });

  it('rejects the legacy cookies.domain together with server.domains', () => {
    // Prepare
    const data = withPortal(
      {},
      { cookies: { domain: 'example.com' }, server: { domains: [{ domain: 'example.org' }] } },
    );

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([{ path: 'cookies.domain', message: expect.stringContaining('server.domains') }]);
  });

  it.each([
    ['192.0.2.10', { domain: '192.0.2.10', authHost: '192.0.2.10' }],
    ['[2001:DB8::1]', { domain: '2001:db8::1', authHost: '[2001:db8::1]' }],
    ['::1', { domain: '::1', authHost: '[::1]' }],
  ])('accepts the IP address %j as a server.domains entry, matched as itself', (domain, want) => {
    // Prepare
    const data = withPortal({}, { server: { domains: [{ domain }] } });

    // Act
    const { config } = validateConfig(data);

    // Assess
    expect(config.server.domains).toEqual([want]);
  });

  it('rejects an authHost on an IP address domain', () => {
    // Prepare
    const data = withPortal({}, { server: { domains: [{ domain: '192.0.2.10', authHost: 'auth.example.com' }] } });

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([
      { path: 'server.domains[0].authHost', message: expect.stringContaining('IP address domain') },
    ]);
  });

  it('rejects a legacy cookies.domain that is an IP address', () => {
    // Prepare
    const data = withPortal({}, { cookies: { domain: '10.1.1.1' } });

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([{ path: 'cookies.domain', message: expect.stringContaining('not an IP address') }]);
  });

  it.each([
    { name: 'no portals key', data: {} },
    { name: 'an empty portal list', data: { portals: [] } },
  ])('rejects a config with $name: "at least one portal must be defined"', ({ data }) => {
    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([{ path: 'portals', message: 'at least one portal must be defined' }]);
  });

  it.each(['1', 'a', '1abc', '-ab', 'a b', 'a/b', `a${'b'.repeat(40)}`])('rejects the portal name %j', (name) => {
    // Prepare
    const data = withPortal({ name });

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([
      {
        path: 'portals[0].name',
        message: expect.stringContaining(`invalid portal '${name}': property 'name' is invalid`),
      },
    ]);
  });

  it.each(['ab', 'a-b_c.d', `a${'b'.repeat(39)}`, 'Main'])('accepts the portal name %j', (name) => {
    // Act
    const { config } = load(withPortal({ name }));

    // Assess
    expect(config.portals[0]?.name).toBe(name.toLowerCase());
  });

  it('rejects a portal with an empty provider list', () => {
    // Act
    const issues = issuesOf(withPortal({ providers: [] }));

    // Assess
    expect(issues).toEqual([
      { path: 'portals[0].providers', message: 'at least one authentication provider must be configured' },
    ]);
  });

  it('rejects a provider element with no provider type', () => {
    // Act
    const issues = issuesOf(withPortal({ providers: [{}] }));

    // Assess
    expect(issues).toEqual([{ path: 'portals[0].providers[0]', message: 'no provider type configured' }]);
  });

  it('rejects a provider element with two provider types', () => {
    // Act
    const issues = issuesOf(withPortal({ providers: [{ pocketID: POCKET, openIDConnect: OIDC }] }));

    // Assess
    expect(issues).toEqual([
      {
        path: 'portals[0].providers[0]',
        message: expect.stringContaining('cannot configure more than one provider type'),
      },
    ]);
  });

  // Upstream's "parse provider config" case uses GitHub, which is not built here; the same parsing on Pocket ID.
  it('parses the provider options (upstream "parse provider config", on Pocket ID)', () => {
    // Prepare
    const data = withProvider({ clientID: 'abcdef123456', clientSecret: '000-000-000', requestTimeout: '40s' });

    // Act
    const provider = firstProvider(load(data));

    // Assess
    expect(provider).toMatchObject({
      clientID: 'abcdef123456',
      clientSecret: { kind: 'inline', value: '000-000-000' },
      requestTimeout: 40_000,
    });
  });

  it.each([
    { name: 'a header without a name', header: { claim: 'email' }, path: '.name', message: 'is required' },
    {
      name: 'a header with neither claim nor property',
      header: { name: 'X-Forwarded-Email' },
      path: '',
      message: "must set exactly one of 'claim' or 'property'",
    },
    {
      name: 'a header with both claim and property',
      header: { name: 'X-Forwarded-Email', claim: 'email', property: 'portal.name' },
      path: '',
      message: "must set exactly one of 'claim' or 'property'",
    },
    {
      name: 'a header with an unknown property',
      header: { name: 'X-Forwarded-Email', property: 'foobar' },
      path: '.property',
      message: 'must be one of portal.name, provider.name (got "foobar")',
    },
    {
      name: 'a header name that is not an HTTP token',
      header: { name: 'X Forwarded', claim: 'email' },
      path: '.name',
      message: 'is not a valid HTTP header name (got "X Forwarded")',
    },
    {
      name: 'a header with an empty claim',
      header: { name: 'X-A', claim: '' },
      path: '.claim',
      message: 'must not be empty',
    },
  ])('rejects $name', ({ header, path, message }) => {
    // Act
    const issues = issuesOf(withPortal({ headers: [header] }));

    // Assess
    expect(issues).toEqual([{ path: `portals[0].headers[0]${path}`, message }]);
  });
});

describe('upstream config_test.go: splitAuthHost', () => {
  it.each([
    { input: 'auth.example.com', want: { host: 'auth.example.com' } },
    { input: 'Auth.Example.Com:30443', want: { host: 'auth.example.com', port: 30443 } },
    { input: 'auth.example.com:443', want: { host: 'auth.example.com' } },
    { input: 'auth.example.com.:8443', want: { host: 'auth.example.com', port: 8443 } },
    { input: ' auth.example.com:1 ', want: { host: 'auth.example.com', port: 1 } },
    { input: 'auth.example.com:65535', want: { host: 'auth.example.com', port: 65535 } },
  ])('splits $input', ({ input, want }) => {
    // Act
    const got = splitAuthHost(input);

    // Assess
    expect(got).toEqual(want);
  });

  it.each([
    // Upstream returns an empty host for '' without error; here '' never reaches it (an empty authHost means the domain).
    { input: '' },
    { input: 'auth.example.com:70000' },
    { input: 'auth.example.com:65536' },
    { input: 'auth.example.com:abc' },
    { input: 'auth.example.com:0' },
    { input: 'auth.example.com:-1' },
    { input: 'auth.example.com:' },
    { input: '[::1]:8443' },
    { input: 'bad host!:8443' },
  ])('rejects $input', ({ input }) => {
    // Act
    const got = splitAuthHost(input);

    // Assess
    expect(got).toEqual({ error: expect.any(String) });
  });
});

describe('strict loading: unknown keys', () => {
  it.each([
    { name: 'at the top level', data: { ...withPortal(), foo: 1 }, line: "  - unknown key 'foo'" },
    { name: 'under server', data: withPortal({}, { server: { bogus: 1 } }), line: "  - server: unknown key 'bogus'" },
    { name: 'in a portal', data: withPortal({ bogus: true }), line: "  - portals[0]: unknown key 'bogus'" },
    {
      name: 'in a header',
      data: withPortal({ headers: [{ name: 'X-A', claim: 'email', value: 'x' }] }),
      line: "  - portals[0].headers[0]: unknown key 'value'",
    },
    {
      name: 'inside a provider',
      data: withProvider({ extra: 1 }),
      line: `  - ${PROVIDER_PATH}: unknown key 'extra'`,
    },
    {
      name: 'as a provider type',
      data: withPortal({ providers: [{ keycloak: {} }] }),
      line: "  - portals[0].providers[0]: unknown key 'keycloak'",
    },
    {
      name: 'in the sessions block',
      data: withPortal({}, { sessions: { ttl: '1s' } }),
      line: "  - sessions: unknown key 'ttl'",
    },
  ])('rejects an unknown key $name, naming its path', ({ data, line }) => {
    // Act
    const err = configError(() => load(data));

    // Assess
    expect(err.message.split('\n')).toContain(line);
  });

  it('names every unknown key of one object in one issue', () => {
    // Act
    const issues = issuesOf(withPortal({}, { server: { a: 1, b: 2 } }));

    // Assess
    expect(issues).toEqual([{ path: 'server', message: "unknown keys 'a', 'b'" }]);
  });

  it.each([
    { data: withPortal({}, { server: { port: '4181' } }), path: 'server.port', got: '"4181"' },
    { data: withPortal({}, { cookies: { insecure: 'yes' } }), path: 'cookies.insecure', got: '"yes"' },
    { data: withPortal({ providers: 'pocketID' }), path: 'portals[0].providers', got: '"pocketID"' },
    { data: withPortal({}, { tokens: { sessionLifetime: 7200 } }), path: 'tokens.sessionLifetime', got: '7200' },
  ])('rejects a value of the wrong type at $path, showing the value', ({ data, path, got }) => {
    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([{ path, message: expect.stringContaining(`(got ${got})`) }]);
  });
});

describe('every error is reported at once', () => {
  it('reports five different value mistakes as five issues, each with its key path', () => {
    // Prepare
    const data = {
      server: { port: 0 },
      tokens: { sessionLifetime: '30s' },
      logs: { level: 'loud' },
      defaultPortal: 'nope',
      portals: [{ name: 'main', providers: [{ pocketID: { ...POCKET, endpoint: 'http://idp.example.com' } }] }],
    };

    // Act
    const err = configError(() => load(data));

    // Assess
    expect(err.issues.map((i) => i.path).sort()).toEqual(
      ['defaultPortal', 'logs.level', `${PROVIDER_PATH}.endpoint`, 'server.port', 'tokens.sessionLifetime'].sort(),
    );
    expect(err.message).toMatch(/^Invalid configuration \(5 errors\):\n/);
  });

  it('reports several schema mistakes (unknown keys and wrong types) together', () => {
    // Prepare
    const data = { ...withPortal({ bogus: 1 }, { server: { port: 'x' }, logs: { json: 'no' } }), extra: true };

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues.map((i) => i.path).sort()).toEqual(['', 'logs.json', 'portals[0]', 'server.port']);
  });

  it('reports unknown keys and wrong types together with value mistakes elsewhere', () => {
    // Prepare
    const data = {
      bogus: 1,
      server: { port: 'x' },
      tokens: { sessionLifetime: '30s' },
      portals: [{ name: 'main', providers: [{ pocketID: { ...POCKET, endpoint: 'http://idp.example.com' } }] }],
    };

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues.map((i) => i.path).sort()).toEqual(
      ['', `${PROVIDER_PATH}.endpoint`, 'server.port', 'tokens.sessionLifetime'].sort(),
    );
  });

  it('names the source file in the message', () => {
    // Act
    const err = configError(() => parseConfig('portals: []\n', '/etc/tfa/config.yaml'));

    // Assess
    expect(err.source).toBe('/etc/tfa/config.yaml');
    expect(err.message).toContain('Invalid configuration in /etc/tfa/config.yaml (1 error)');
  });
});

describe('durations', () => {
  it.each([
    { input: '2h', ms: 7_200_000 },
    { input: '30m', ms: 1_800_000 },
    { input: '10s', ms: 10_000 },
    { input: '1h30m', ms: 5_400_000 },
    { input: '1h0m0s', ms: 3_600_000 },
    { input: '1.5s', ms: 1500 },
    { input: '.5m', ms: 30_000 },
    { input: '1.s', ms: 1000 },
    { input: '300ms', ms: 300 },
    { input: '1500us', ms: 1.5 },
    { input: '1500µs', ms: 1.5 },
    { input: '2000000ns', ms: 2 },
    { input: '0', ms: 0 },
    { input: '0s', ms: 0 },
    { input: '-5m', ms: -300_000 },
    { input: '+3s', ms: 3000 },
  ])('parses the Go duration $input as $ms ms', ({ input, ms }) => {
    // Act
    const got = parseDuration(input);

    // Assess
    expect(got).toBe(ms);
  });

  it.each([
    '',
    '5',
    '-',
    'h',
    's',
    '.s',
    '1x',
    '1d',
    '1e3s',
    '1_000s',
    '1h-5m',
    '1.5.5s',
    '--1s',
    'NaN',
    'Infinity',
    '2 h',
  ])('rejects the duration %j', (input) => {
    // Act
    const got = parseDuration(input);

    // Assess
    expect(got).toBeUndefined();
  });

  it.each([
    { ms: 7_200_000, text: '2h' },
    { ms: 5_400_000, text: '1h30m' },
    { ms: 1500, text: '1s500ms' },
    { ms: 0, text: '0s' },
    { ms: -300_000, text: '-5m' },
  ])('formats $ms ms as $text', ({ ms, text }) => {
    // Act
    const got = formatDuration(ms);

    // Assess
    expect(got).toBe(text);
  });

  it('rejects a bad duration in the config, naming the key and the value', () => {
    // Act
    const issues = issuesOf(withProvider({ requestTimeout: 'soon' }));

    // Assess
    expect(issues).toEqual([
      {
        path: `${PROVIDER_PATH}.requestTimeout`,
        message: 'must be a duration such as "30s", "5m" or "2h" (got "soon")',
      },
    ]);
  });

  it.each([
    { value: '1m', want: 60_000 },
    { value: '1h30m', want: 5_400_000 },
  ])('accepts tokens.sessionLifetime $value', ({ value, want }) => {
    // Act
    const { config } = load(withPortal({}, { tokens: { sessionLifetime: value } }));

    // Assess
    expect(config.tokens.sessionLifetime).toBe(want);
    expect(config.portals[0]?.sessionLifetime).toBe(want);
  });

  it('accepts sessionMaxLifetime and revalidateInterval on a portal, unset by default', () => {
    // Act
    const off = load(withPortal({})).config.portals[0];
    const on = load(withPortal({ sessionLifetime: '1h', sessionMaxLifetime: '12h', revalidateInterval: '15m' })).config
      .portals[0];

    // Assess
    expect(off?.sessionMaxLifetime).toBeUndefined();
    expect(off?.revalidateInterval).toBeUndefined();
    expect(on?.sessionMaxLifetime).toBe(12 * 3_600_000);
    expect(on?.revalidateInterval).toBe(15 * 60_000);
  });

  it.each([
    {
      portal: { sessionLifetime: '2h', sessionMaxLifetime: '1h' },
      path: 'portals[0].sessionMaxLifetime',
      message: 'must be at least the portal\'s sessionLifetime (2h) (got "1h")',
    },
    {
      portal: { sessionMaxLifetime: '-1h' },
      path: 'portals[0].sessionMaxLifetime',
      message: 'must not be negative (0 or absent turns it off) (got "-1h")',
    },
    {
      portal: { revalidateInterval: '10s' },
      path: 'portals[0].revalidateInterval',
      message: 'must be at least 30s (got "10s")',
    },
    {
      portal: { revalidateInterval: 'often' },
      path: 'portals[0].revalidateInterval',
      message: 'must be a duration such as "30s", "5m" or "2h" (got "often")',
    },
  ])('rejects $path $portal', ({ portal, path, message }) => {
    // Act
    const issues = issuesOf(withPortal(portal));

    // Assess
    expect(issues).toEqual([{ path, message }]);
  });

  it.each(['59s', '0', '-1h'])('rejects tokens.sessionLifetime %s (below 1m)', (value) => {
    // Act
    const issues = issuesOf(withPortal({}, { tokens: { sessionLifetime: value } }));

    // Assess
    expect(issues).toEqual([{ path: 'tokens.sessionLifetime', message: `must be at least 1m (got "${value}")` }]);
  });

  it.each([
    { value: '0', want: 2 * 3600_000 },
    { value: '-1h', want: 2 * 3600_000 },
    { value: '1m', want: 60_000 },
    { value: '24h', want: 86_400_000 },
  ])('resolves the portal sessionLifetime $value to $want ms (0 or negative inherits)', ({ value, want }) => {
    // Act
    const { config } = load(withPortal({ sessionLifetime: value }));

    // Assess
    expect(config.portals[0]?.sessionLifetime).toBe(want);
  });

  it('rejects a portal sessionLifetime below 1m', () => {
    // Act
    const issues = issuesOf(withPortal({ sessionLifetime: '30s' }));

    // Assess
    expect(issues).toEqual([{ path: 'portals[0].sessionLifetime', message: 'must be at least 1m (got "30s")' }]);
  });

  it.each([
    { value: '5s', want: 5000 },
    { value: '10m', want: 600_000 },
    { value: '0', want: 300_000 },
    { value: '500us', want: 300_000 },
    { value: '-1s', want: 300_000 },
  ])('resolves authenticationTimeout $value to $want ms (below 1ms means the 5m default)', ({ value, want }) => {
    // Act
    const { config } = load(withPortal({ authenticationTimeout: value }));

    // Assess
    expect(config.portals[0]?.authenticationTimeout).toBe(want);
  });

  it.each(['4s', '1.5s', '1ms'])('rejects authenticationTimeout %s (below 5s)', (value) => {
    // Act
    const issues = issuesOf(withPortal({ authenticationTimeout: value }));

    // Assess
    expect(issues).toEqual([
      { path: 'portals[0].authenticationTimeout', message: `must be at least 5s (got "${value}")` },
    ]);
  });

  it.each([
    { value: '500ms', want: 10_000 },
    { value: '0', want: 10_000 },
    { value: '1s', want: 1000 },
    { value: '30s', want: 30_000 },
  ])('resolves requestTimeout $value to $want ms (below 1s means the 10s default)', ({ value, want }) => {
    // Act
    const provider = firstProvider(load(withProvider({ requestTimeout: value })));

    // Assess
    expect(provider.requestTimeout).toBe(want);
  });

  it.each([
    { value: '0', want: 0 },
    { value: '2s', want: 2000 },
  ])('accepts sessions.verifyCacheTTL $value (0 disables the cache)', ({ value, want }) => {
    // Act
    const { config } = load(withPortal({}, { sessions: { verifyCacheTTL: value } }));

    // Assess
    expect(config.sessions.verifyCacheTTL).toBe(want);
  });

  it('rejects a negative sessions.verifyCacheTTL', () => {
    // Act
    const issues = issuesOf(withPortal({}, { sessions: { verifyCacheTTL: '-1s' } }));

    // Assess
    expect(issues).toEqual([{ path: 'sessions.verifyCacheTTL', message: 'must not be negative (got "-1s")' }]);
  });
});

describe('names', () => {
  it('lower-cases portal names, provider names and defaultPortal', () => {
    // Prepare
    const data = {
      defaultPortal: 'MAIN',
      portals: [{ name: 'Main', providers: [{ pocketID: { ...POCKET, name: 'PID' } }, { openIDConnect: OIDC }] }],
    };

    // Act
    const { config } = load(data);

    // Assess
    expect(config.defaultPortal).toBe('main');
    expect(config.portals[0]?.name).toBe('main');
    expect(config.portals[0]?.displayName).toBe('Main');
    expect(config.portals[0]?.providers.map((p) => p.name)).toEqual(['pid', 'openidconnect']);
  });

  it('rejects two portals whose names differ only in case', () => {
    // Prepare
    const data = { portals: [withPortal({ name: 'Main' }).portals, withPortal({ name: 'main' }).portals].flat() };

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([{ path: 'portals[1].name', message: "duplicate portal name 'main'" }]);
  });

  it.each([
    { name: 'names that differ only in case', first: { name: 'A1' }, second: { name: 'a1' }, dup: 'a1' },
    { name: 'two unnamed providers of the same type', first: {}, second: {}, dup: 'pocketid' },
  ])('rejects two providers in one portal with $name', ({ first, second, dup }) => {
    // Prepare
    const data = withPortal({
      providers: [{ pocketID: { ...POCKET, ...first } }, { pocketID: { ...POCKET, ...second } }],
    });

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([
      { path: 'portals[0].providers[1].pocketID.name', message: `duplicate provider name '${dup}' in this portal` },
    ]);
  });

  it('rejects an invalid provider name', () => {
    // Act
    const issues = issuesOf(withProvider({ name: '1bad' }));

    // Assess
    expect(issues).toEqual([{ path: `${PROVIDER_PATH}.name`, message: expect.stringContaining('(got "1bad")') }]);
  });

  it('rejects a defaultPortal that names no portal', () => {
    // Act
    const issues = issuesOf(withPortal({}, { defaultPortal: 'other' }));

    // Assess
    expect(issues).toEqual([
      { path: 'defaultPortal', message: 'must be the name of a configured portal (got "other")' },
    ]);
  });

  it.each([
    { input: 'x-forwarded-email', want: 'X-Forwarded-Email' },
    { input: 'X-PORTAL', want: 'X-Portal' },
    { input: 'X-Forwarded-Displayname', want: 'X-Forwarded-Displayname' },
    { input: 'x_custom-header', want: 'X_custom-Header' },
    { input: 'remote-user', want: 'Remote-User' },
  ])('canonicalises the header name $input as $want', ({ input, want }) => {
    // Act
    const { config } = load(withPortal({ headers: [{ name: input, claim: 'email' }] }));

    // Assess
    expect(config.portals[0]?.headers).toEqual([{ name: want, source: { claim: 'email' } }]);
    expect(canonicalHeaderName(input)).toBe(want);
  });

  it('keeps the header list order, claims and properties', () => {
    // Prepare
    const headers = [
      { name: 'X-Forwarded-Email', claim: 'email' },
      { name: 'X-Forwarded-Groups', claim: 'groups' },
      { name: 'X-Portal', property: 'portal.name' },
      { name: 'X-Provider', property: 'provider.name' },
    ];

    // Act
    const { config } = load(withPortal({ headers }));

    // Assess
    expect(config.portals[0]?.headers).toEqual([
      { name: 'X-Forwarded-Email', source: { claim: 'email' } },
      { name: 'X-Forwarded-Groups', source: { claim: 'groups' } },
      { name: 'X-Portal', source: { property: 'portal.name' } },
      { name: 'X-Provider', source: { property: 'provider.name' } },
    ]);
  });

  it.each([
    { name: 'an empty list means no headers', headers: [], want: [] },
    { name: 'null means the defaults', headers: null, want: undefined },
  ])('reads headers: $name', ({ headers, want }) => {
    // Act
    const { config } = load(withPortal({ headers }));

    // Assess
    expect(config.portals[0]?.headers).toEqual(want);
  });
});

describe('server options', () => {
  it.each([
    { input: 'auth', want: '/auth' },
    { input: '/auth/', want: '/auth' },
    { input: ' /auth ', want: '/auth' },
    { input: '/a/b//', want: '/a/b' },
    { input: '', want: '' },
    // Upstream keeps a bare '/' (Gin then serves at the root); '' is the same prefix for our router.
    { input: '/', want: '' },
  ])('normalises basePath $input to $want', ({ input, want }) => {
    // Act
    const { config } = load(withPortal({}, { server: { basePath: input } }));

    // Assess
    expect(config.server.basePath).toBe(want);
  });

  it('rejects a basePath that is not a URL path', () => {
    // Act
    const issues = issuesOf(withPortal({}, { server: { basePath: '/a b' } }));

    // Assess
    expect(issues).toEqual([{ path: 'server.basePath', message: expect.stringContaining('not a valid URL path') }]);
  });

  it.each([0, 65536, -1])('rejects server.port %d', (port) => {
    // Act
    const issues = issuesOf(withPortal({}, { server: { port } }));

    // Assess
    expect(issues).toEqual([{ path: 'server.port', message: `must be between 1 and 65535 (got ${port})` }]);
  });

  it.each(['debug', 'INFO', 'warn', 'Warning', 'error'])('accepts logs.level %s', (level) => {
    // Act
    const { config } = load(withPortal({}, { logs: { level } }));

    // Assess
    expect(config.logs.level).toBe(level.toLowerCase() === 'warning' ? 'warn' : level.toLowerCase());
  });

  it.each([0, 0.01, 1])('accepts logs.sampleSuccessfulChecks %d', (rate) => {
    // Act
    const { config } = load(withPortal({}, { logs: { sampleSuccessfulChecks: rate } }));

    // Assess
    expect(config.logs.sampleSuccessfulChecks).toBe(rate);
  });

  it('leaves logs.sampleSuccessfulChecks unset when absent (each platform has its default)', () => {
    expect(load(withPortal()).config.logs.sampleSuccessfulChecks).toBeUndefined();
  });

  it.each([-0.1, 1.5])('rejects logs.sampleSuccessfulChecks %d, naming the key and the value', (rate) => {
    // Act
    const issues = issuesOf(withPortal({}, { logs: { sampleSuccessfulChecks: rate } }));

    // Assess
    expect(issues).toEqual([
      {
        path: 'logs.sampleSuccessfulChecks',
        message: `must be a number from 0 (none) to 1 (every check) (got ${rate})`,
      },
    ]);
  });

  it('accepts tlsClientAuth with an inline CA (the files in tlsPath are read at start)', () => {
    // Act
    const { config } = load(withPortal({}, { server: { tlsClientAuth: true, tlsCAPEM: CA_PEM } }));

    // Assess
    expect(config.server).toMatchObject({ tlsClientAuth: true, tlsCAPEM: CA_PEM });
  });

  it('rejects a tlsCAPEM that is not a PEM certificate, naming the key', () => {
    // Act
    const issues = issuesOf(withPortal({}, { server: { tlsClientAuth: true, tlsCAPEM: 'not a certificate' } }));

    // Assess
    expect(issues).toEqual([
      { path: 'server.tlsCAPEM', message: 'is not a valid PEM certificate: no BEGIN CERTIFICATE block' },
    ]);
  });

  // Upstream signs sessions with tokens.signingKey; sessions are server-side here, so the key is accepted and ignored.
  it('accepts tokens.signingKey and says that it is ignored', () => {
    // Act
    const { notices } = load(withPortal({}, { tokens: { signingKey: 'hello-world-1234567890' } }));

    // Assess
    expect(notices).toEqual([{ level: 'info', message: expect.stringContaining("'tokens.signingKey' is accepted") }]);
  });
});

describe('provider credentials and TLS', () => {
  it('reads clientSecretFile as a file reference and checks the file now', () => {
    // Prepare
    const path = file('secret.txt', '  s3cret-value\n');

    // Act
    const provider = firstProvider(load(withProvider({ clientSecret: undefined, clientSecretFile: path })));

    // Assess
    expect(provider.clientSecret).toEqual({ kind: 'file', path });
  });

  // Upstream uses the file content verbatim (a trailing newline becomes part of the secret); we trim it.
  it('trims the clientSecretFile content when the secret is resolved', async () => {
    // Prepare
    const path = file('secret-trim.txt', '  s3cret-value\n');
    const provider = firstProvider(load(withProvider({ clientSecret: undefined, clientSecretFile: path })));
    if (!provider.clientSecret) throw new Error('no client secret reference');

    // Act
    const secret = await new SecretResolver().resolve(provider.clientSecret);

    // Assess
    expect(secret).toBe('s3cret-value');
  });

  it('rejects a clientSecretFile that does not exist', () => {
    // Prepare
    const path = join(dir, 'missing-secret.txt');

    // Act
    const issues = issuesOf(withProvider({ clientSecret: undefined, clientSecretFile: path }));

    // Assess
    expect(issues).toEqual([
      { path: `${PROVIDER_PATH}.clientSecretFile`, message: `cannot read file: ENOENT (got ${JSON.stringify(path)})` },
    ]);
  });

  it.each(['', ' \n\t\n'])('rejects a clientSecretFile whose content is %j', (content) => {
    // Prepare
    const path = file('empty-secret.txt', content);

    // Act
    const issues = issuesOf(withProvider({ clientSecret: undefined, clientSecretFile: path }));

    // Assess
    expect(issues).toEqual([
      { path: `${PROVIDER_PATH}.clientSecretFile`, message: expect.stringContaining('file is empty') },
    ]);
  });

  it('does not read files when readFiles is false', () => {
    // Prepare
    const path = join(dir, 'not-read.txt');

    // Act
    const provider = firstProvider(
      load(withProvider({ clientSecret: undefined, clientSecretFile: path }), { readFiles: false }),
    );

    // Assess
    expect(provider.clientSecret).toEqual({ kind: 'file', path });
  });

  // Upstream silently lets the secret win; an ambiguous credential is refused here.
  it.each([
    { key: 'clientSecret', value: 'inline-secret' },
    { key: 'clientSecretFile', value: '/run/secrets/x' },
    { key: 'clientSecretEnv', value: 'TFA_SECRET' },
  ])('rejects $key together with clientAssertion, naming both keys', ({ key, value }) => {
    // Prepare
    const data = withProvider({ clientSecret: undefined, [key]: value, clientAssertion: 'AzureManagedIdentity' });

    // Act
    const issues = issuesOf(data);

    // Assess
    expect(issues).toEqual([
      { path: PROVIDER_PATH, message: expect.stringContaining(`'clientAssertion' and '${key}' are both set`) },
    ]);
  });

  it('accepts clientAssertion alone, with no client secret', () => {
    // Act
    const provider = firstProvider(
      load(withProvider({ clientSecret: undefined, clientAssertion: 'AzureWorkloadIdentity' })),
    );

    // Assess
    expect(provider.clientAssertion).toBe('AzureWorkloadIdentity');
    expect(provider.clientSecret).toBeUndefined();
  });

  it('rejects a provider with no client credential at all', () => {
    // Act
    const issues = issuesOf(withProvider({ clientSecret: undefined }));

    // Assess
    expect(issues).toEqual([
      { path: PROVIDER_PATH, message: expect.stringContaining('a client credential is required') },
    ]);
  });

  it('rejects tlsCACertificatePEM together with tlsCACertificatePath', () => {
    // Prepare
    const path = file('ca-both.pem', CA_PEM);

    // Act
    const issues = issuesOf(withProvider({ tlsCACertificatePEM: CA_PEM, tlsCACertificatePath: path }));

    // Assess
    expect(issues).toEqual([
      {
        path: PROVIDER_PATH,
        message: "'tlsCACertificatePEM' and 'tlsCACertificatePath' are mutually exclusive: set only one",
      },
    ]);
  });

  it('accepts a valid CA inline or from a file', () => {
    // Prepare
    const path = file('ca.pem', CA_PEM);

    // Act
    const inline = firstProvider(load(withProvider({ tlsCACertificatePEM: CA_PEM })));
    const fromFile = firstProvider(load(withProvider({ tlsCACertificatePath: path })));

    // Assess
    expect(inline.tls).toEqual({ insecureSkipVerify: false, caPEM: CA_PEM });
    expect(fromFile.tls).toEqual({ insecureSkipVerify: false, caPEM: CA_PEM });
  });

  it.each([
    { name: 'no certificate block', pem: 'not a certificate' },
    { name: 'an unparsable block', pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
    { name: 'an unterminated block', pem: '-----BEGIN CERTIFICATE-----\nAAAA\n' },
  ])('rejects an inline CA with $name', ({ pem }) => {
    // Act
    const issues = issuesOf(withProvider({ tlsCACertificatePEM: pem }));

    // Assess
    expect(issues).toEqual([
      {
        path: `${PROVIDER_PATH}.tlsCACertificatePEM`,
        message: expect.stringContaining('is not a valid PEM certificate'),
      },
    ]);
  });

  it('rejects a CA file with invalid PEM, or one that does not exist', () => {
    // Prepare
    const bad = file('bad-ca.pem', 'garbage');
    const missing = join(dir, 'missing-ca.pem');

    // Act
    const badIssues = issuesOf(withProvider({ tlsCACertificatePath: bad }));
    const missingIssues = issuesOf(withProvider({ tlsCACertificatePath: missing }));

    // Assess
    expect(badIssues).toEqual([
      {
        path: `${PROVIDER_PATH}.tlsCACertificatePath`,
        message: expect.stringContaining('is not a valid PEM certificate'),
      },
    ]);
    expect(missingIssues).toEqual([
      { path: `${PROVIDER_PATH}.tlsCACertificatePath`, message: expect.stringContaining('cannot read file: ENOENT') },
    ]);
  });

  it.each([
    'https://id.example.com',
    'http://localhost:8080',
    'HTTP://LOCALHOST',
    'http://127.0.0.1',
    'http://127.9.9.9:1/x',
    'http://[::1]:3000',
  ])('accepts the provider endpoint %s (plain http only on loopback)', (endpoint) => {
    // Act
    const provider = firstProvider(load(withProvider({ endpoint })));

    // Assess
    expect(provider.type === 'pocketID' && provider.endpoint).toBe(endpoint.replace(/\/+$/, ''));
  });

  it.each([
    'http://id.example.com',
    'http://10.0.0.1',
    'http://128.0.0.1',
    'http://localhost.evil.example',
    'http://[::2]',
  ])('rejects the plain-http endpoint %s, which is not loopback', (endpoint) => {
    // Act
    const issues = issuesOf(withProvider({ endpoint }));

    // Assess
    expect(issues).toEqual([{ path: `${PROVIDER_PATH}.endpoint`, message: expect.stringContaining('must use https') }]);
  });

  it.each([
    { endpoint: 'ftp://id.example.com', message: 'must be an https URL' },
    { endpoint: 'id.example.com', message: 'must be an absolute URL' },
    { endpoint: '', message: 'is required' },
  ])('rejects the endpoint $endpoint', ({ endpoint, message }) => {
    // Act
    const issues = issuesOf(withProvider({ endpoint }));

    // Assess
    expect(issues).toEqual([{ path: `${PROVIDER_PATH}.endpoint`, message: expect.stringContaining(message) }]);
  });

  it('applies the loopback rule to openIDConnect.tokenIssuer too', () => {
    // Act
    const issues = issuesOf(withProvider({ tokenIssuer: 'http://issuer.example.com' }, 'openIDConnect'));

    // Assess
    expect(issues).toEqual([
      { path: 'portals[0].providers[0].openIDConnect.tokenIssuer', message: expect.stringContaining('must use https') },
    ]);
  });

  it('trims trailing slashes from the Pocket ID endpoint', () => {
    // Act
    const provider = firstProvider(load(withProvider({ endpoint: 'https://id.example.com//' })));

    // Assess
    expect(provider.type === 'pocketID' && provider.endpoint).toBe('https://id.example.com');
  });
});

describe('secret values never appear in error messages', () => {
  const SECRET = 'TOPSECRET-d0n7-l34k';

  it.each([
    { name: 'clientSecret as a list', data: withProvider({ clientSecret: [SECRET] }) },
    { name: 'clientSecret as an object', data: withProvider({ clientSecret: { value: SECRET } }) },
    { name: 'tokens.signingKey as a list', data: withPortal({}, { tokens: { signingKey: [SECRET] } }) },
    { name: 'server.tlsKeyPEM as a list', data: withPortal({}, { server: { tlsKeyPEM: [SECRET] } }) },
    { name: 'server.tlsCertPEM as an object', data: withPortal({}, { server: { tlsCertPEM: { k: SECRET } } }) },
    { name: 'server.tlsCAPEM as a list', data: withPortal({}, { server: { tlsCAPEM: [SECRET] } }) },
    { name: 'tlsCACertificatePEM that is not PEM', data: withProvider({ tlsCACertificatePEM: SECRET }) },
    { name: 'tlsCACertificatePEM as a list', data: withProvider({ tlsCACertificatePEM: [SECRET] }) },
  ])('hides the value of $name', ({ data }) => {
    // Act
    const err = configError(() => load(data));

    // Assess
    expect(err.issues.length).toBeGreaterThan(0);
    expect(err.message).not.toContain(SECRET);
    expect(JSON.stringify(err.issues)).not.toContain(SECRET);
  });

  it.each([
    {
      name: 'an unterminated quote',
      yaml: `portals:\n  - name: main\n    providers:\n      - pocketID:\n          clientSecret: "${SECRET}\n`,
    },
    { name: 'a duplicate key', yaml: `tokens:\n  signingKey: ${SECRET}\n  signingKey: ${SECRET}\n` },
    { name: 'a bad indentation', yaml: `tokens:\n  signingKey: ${SECRET}\n bad: [\n` },
  ])('hides a secret on a line with $name in YAML errors', ({ yaml }) => {
    // Act
    const err = configError(() => parseConfig(yaml));

    // Assess
    expect(err.issues[0]?.message).toMatch(/^YAML syntax error at line \d+, column \d+: /);
    expect(err.message).not.toContain(SECRET);
  });
});

describe('YAML parsing', () => {
  it('parses a YAML document into a config', () => {
    // Prepare
    const yaml = [
      'server:',
      '  domains:',
      '    - domain: example.com',
      '      authHost: auth.example.com',
      'portals:',
      '  - name: main',
      '    providers:',
      '      - pocketID:',
      '          endpoint: https://id.example.com',
      '          clientID: c',
      '          clientSecret: s',
    ].join('\n');

    // Act
    const { config, source } = parseConfig(yaml, 'inline.yaml');

    // Assess
    expect(source).toBe('inline.yaml');
    expect(config.server.domains).toEqual([{ domain: 'example.com', authHost: 'auth.example.com' }]);
    expect(config.portals[0]?.providers[0]?.name).toBe('pocketid');
  });

  it('reports a YAML syntax error with its line, column and the offending line', () => {
    // Act
    const err = configError(() => parseConfig('server:\n  port: 4181\n portals:\n  - name: main\n'));

    // Assess
    expect(err.issues).toEqual([
      {
        path: '',
        message: [
          'YAML syntax error at line 3, column 1: All mapping items must start at the same column',
          '     3 |  portals:',
          '       | ^',
        ].join('\n'),
      },
    ]);
  });

  it('reports an unclosed bracket at the end of the file', () => {
    // Act
    const err = configError(() => parseConfig('portals: [\n  - name: main\n'));

    // Assess
    expect(err.issues[0]?.message).toMatch(/^YAML syntax error at line \d+, column \d+: /);
  });

  it('reports a duplicate key, pointing at the second one', () => {
    // Act
    const err = configError(() => parseConfig('portals:\n  - name: main\n    name: other\n'));

    // Assess
    expect(err.issues).toEqual([
      {
        path: '',
        message: [
          'YAML syntax error at line 3, column 5: Map keys must be unique',
          '     3 |     name: other',
          '       |     ^',
        ].join('\n'),
      },
    ]);
  });

  it('hides a secret value and key material on the offending line', () => {
    // Prepare
    const SECRET = 'TOPSECRET-d0n7-l34k';

    // Act
    const dup = configError(() => parseConfig(`tokens:\n  signingKey: a\n  signingKey: ${SECRET}\n`));
    const pem = configError(() =>
      parseConfig(
        'server:\n  tlsKeyPEM: |\n    MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n   MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n',
      ),
    );

    // Assess
    expect(dup.issues[0]?.message).toContain('  signingKey: (value hidden)');
    expect(dup.message).not.toContain(SECRET);
    expect(pem.message).not.toContain('MIIEvQ');
  });

  it('treats an empty document as a config without portals', () => {
    // Act
    const err = configError(() => parseConfig(''));

    // Assess
    expect(err.issues).toEqual([{ path: 'portals', message: 'at least one portal must be defined' }]);
  });

  it.each(['- a\n- b\n', 'just a string\n', '42\n'])('rejects a top-level value that is not a mapping: %j', (yaml) => {
    // Act
    const err = configError(() => parseConfig(yaml));

    // Assess
    expect(err.issues).toEqual([{ path: '', message: expect.stringContaining('must be an object') }]);
  });
});

describe('finding and reading the config file', () => {
  it('lists upstream search paths, tfa-config first, every .yaml before every .yml', () => {
    // Act
    const paths = configSearchPaths('/cwd', '/home/u');

    // Assess
    expect(paths).toEqual([
      '/cwd/tfa-config.yaml',
      '/cwd/config.yaml',
      '/home/u/.traefik-forward-auth/config.yaml',
      '/etc/traefik-forward-auth/config.yaml',
      '/cwd/tfa-config.yml',
      '/cwd/config.yml',
      '/home/u/.traefik-forward-auth/config.yml',
      '/etc/traefik-forward-auth/config.yml',
    ]);
  });

  it('finds the first existing search path in the working directory', () => {
    // Prepare
    const cwd = join(dir, 'search');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'config.yaml'), '');
    writeFileSync(join(cwd, 'tfa-config.yml'), '');

    // Act
    const first = findConfigFile({}, cwd);
    writeFileSync(join(cwd, 'tfa-config.yaml'), '');
    const second = findConfigFile({}, cwd);

    // Assess
    expect(first).toBe(join(cwd, 'config.yaml'));
    expect(second).toBe(join(cwd, 'tfa-config.yaml'));
  });

  it('prefers TFA_CONFIG over the search paths', () => {
    // Prepare
    const explicit = file('explicit.yaml', '');
    const cwd = join(dir, 'search-explicit');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'tfa-config.yaml'), '');

    // Act
    const found = findConfigFile({ TFA_CONFIG: explicit }, cwd);

    // Assess
    expect(found).toBe(explicit);
  });

  it('rejects TFA_CONFIG pointing at a missing file, even when a search path exists', () => {
    // Prepare
    const cwd = join(dir, 'search-missing');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'tfa-config.yaml'), '');
    const missing = join(dir, 'nope', 'config.yaml');

    // Act
    const err = configError(() => findConfigFile({ TFA_CONFIG: missing }, cwd));

    // Assess
    expect(err.message).toContain(`TFA_CONFIG points at '${missing}', which does not exist`);
  });

  it('loads a config file and reports errors with its path', () => {
    // Prepare
    const good = file(
      'good.yaml',
      'portals:\n  - name: main\n    providers:\n      - openIDConnect:\n          tokenIssuer: https://issuer.example.com\n          clientID: c\n          clientSecret: s\n',
    );
    const bad = file('bad.yaml', 'portals: []\n');

    // Act
    const loaded = loadConfigFile(good);
    const err = configError(() => loadConfigFile(bad));

    // Assess
    expect(loaded.source).toBe(good);
    expect(loaded.config.portals[0]?.providers[0]?.type).toBe('openIDConnect');
    expect(err.message).toContain(`in ${bad}`);
  });

  it('rejects a config file that cannot be read', () => {
    // Prepare
    const missing = join(dir, 'missing.yaml');

    // Act
    const err = configError(() => loadConfigFile(missing));

    // Assess
    expect(err.issues).toEqual([{ path: '', message: `cannot read '${missing}': ENOENT` }]);
  });
});

describe('apps receive identity, not credentials (stripAuthCookies, identityAssertion)', () => {
  it('strips the auth cookies by default and leaves the identity assertion off', () => {
    // Act
    const { config } = load(withPortal());

    // Assess
    expect(config.portals[0]?.stripAuthCookies).toBe(true);
    expect(config.portals[0]?.identityAssertion).toBeUndefined();
  });

  it('turns cookie stripping off with stripAuthCookies: false', () => {
    // Act
    const { config } = load(withPortal({ stripAuthCookies: false }));

    // Assess
    expect(config.portals[0]?.stripAuthCookies).toBe(false);
  });

  it('fills in the identity assertion defaults: X-Forward-Auth-Assertion for 5m', () => {
    // Act
    const { config } = load(withPortal({ identityAssertion: { enabled: true } }));

    // Assess
    expect(config.portals[0]?.identityAssertion).toEqual({
      header: 'X-Forward-Auth-Assertion',
      lifetime: 300_000,
      keyFile: undefined,
    });
  });

  it('keeps a custom header (canonicalised), lifetime and keyFile', () => {
    // Act
    const { config } = load(
      withPortal({ identityAssertion: { enabled: true, header: 'x-app-jwt', lifetime: '30s', keyFile: '/k.pem' } }),
    );

    // Assess
    expect(config.portals[0]?.identityAssertion).toEqual({ header: 'X-App-Jwt', lifetime: 30_000, keyFile: '/k.pem' });
  });

  it('leaves the assertion off when enabled is not true, but still validates the block', () => {
    // Act
    const off = load(withPortal({ identityAssertion: { lifetime: '10m' } }));
    const issues = issuesOf(withPortal({ identityAssertion: { enabled: false, lifetime: '2h' } }));

    // Assess
    expect(off.config.portals[0]?.identityAssertion).toBeUndefined();
    expect(issues).toEqual([
      { path: 'portals[0].identityAssertion.lifetime', message: 'must be between 30s and 1h (got "2h")' },
    ]);
  });

  it.each(['29s', '1h1s', '0'])('rejects an identity assertion lifetime of %s, naming the key and value', (value) => {
    // Act
    const issues = issuesOf(withPortal({ identityAssertion: { enabled: true, lifetime: value } }));

    // Assess
    expect(issues).toEqual([
      { path: 'portals[0].identityAssertion.lifetime', message: `must be between 30s and 1h (got "${value}")` },
    ]);
  });

  it.each([
    ['X Bad', 'is not a valid HTTP header name'],
    ['Cookie', 'must not be a header the proxy or the app already gives a meaning to'],
    ['X-Forwarded-User', 'must not be a header the proxy or the app already gives a meaning to'],
  ])('rejects the assertion header %j', (header, message) => {
    // Act
    const issues = issuesOf(withPortal({ identityAssertion: { enabled: true, header } }));

    // Assess
    expect(issues).toEqual([{ path: 'portals[0].identityAssertion.header', message: `${message} (got "${header}")` }]);
  });

  it('rejects an unknown key in identityAssertion', () => {
    // Act
    const issues = issuesOf(withPortal({ identityAssertion: { enabled: true, audience: 'x' } }));

    // Assess
    expect(issues.map((i) => i.path)).toEqual(['portals[0].identityAssertion']);
  });
});
