import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../shared/config/errors.js';
import { type LoadedConfig, validateConfig } from '../../shared/config/load.js';
import type { ProviderConfig } from '../../shared/config/types.js';
import { catchError } from '../helpers/catch-error.js';

type Obj = Record<string, unknown>;
type Kind = 'google' | 'microsoftEntraID' | 'github';

const TENANT = '11111111-2222-3333-4444-555555555555';
const BASE: Record<Kind, Obj> = {
  google: { clientID: 'cid.apps.googleusercontent.com', clientSecret: 'google-secret' },
  microsoftEntraID: { tenantID: TENANT, clientID: 'entra-client', clientSecret: 'entra-secret' },
  github: { clientID: 'Iv1.abc', clientSecret: 'github-secret' },
};

/** A config whose only provider is a `kind` provider: its base options with `over` applied (undefined removes). */
function withProvider(kind: Kind, over: Obj = {}): Obj {
  const options = Object.fromEntries(Object.entries({ ...BASE[kind], ...over }).filter(([, v]) => v !== undefined));
  return { portals: [{ name: 'main', providers: [{ [kind]: options }] }] };
}

function load(data: unknown): LoadedConfig {
  return validateConfig(data);
}

function issuesOf(data: unknown): ConfigIssue[] {
  return catchError(() => load(data), ConfigError).issues;
}

function provider(data: unknown): ProviderConfig {
  const p = load(data).config.portals[0]?.providers[0];
  if (!p) throw new Error('no provider in the loaded config');
  return p;
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tfa-config-providers-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('google', () => {
  const PATH = 'portals[0].providers[0].google';

  it("fills in upstream's defaults, with PKCE on", () => {
    // Act
    const p = provider(withProvider('google'));

    // Assess
    expect(p).toEqual({
      type: 'google',
      name: 'google',
      displayName: 'Google',
      icon: 'google',
      color: 'yellow',
      requestTimeout: 10_000,
      clientID: 'cid.apps.googleusercontent.com',
      clientSecret: { kind: 'inline', value: 'google-secret' },
      clientAssertion: undefined,
      scopes: ['openid', 'profile', 'email'],
      enablePKCE: true,
      tls: { insecureSkipVerify: false, caPEM: undefined },
      additionalClaims: [],
      logoutAtProvider: false,
    });
  });

  it('keeps the display options, scopes, timeout and additionalClaims as given (name lower-cased)', () => {
    // Act
    const p = provider(
      withProvider('google', {
        name: 'Workspace',
        displayName: 'Example Workspace',
        icon: 'chrome',
        color: 'blue',
        scopes: 'openid email',
        requestTimeout: '30s',
        additionalClaims: ['org_unit'],
      }),
    );

    // Assess
    expect(p).toMatchObject({
      name: 'workspace',
      displayName: 'Example Workspace',
      icon: 'chrome',
      color: 'blue',
      scopes: ['openid', 'email'],
      requestTimeout: 30_000,
      additionalClaims: ['org_unit'],
    });
  });

  it.each([
    { key: 'clientSecretFile', value: 'secret.txt', ref: 'file' },
    { key: 'clientSecretEnv', value: 'GOOGLE_SECRET', ref: 'env' },
    { key: 'clientSecretArn', value: 'tfa/google', ref: 'secretsManager' },
  ])('takes the secret from $key', ({ key, value, ref }) => {
    // Prepare
    const path = join(dir, 'secret.txt');
    writeFileSync(path, 'from-a-file');

    // Act
    const p = provider(
      withProvider('google', { clientSecret: undefined, [key]: key === 'clientSecretFile' ? path : value }),
    );

    // Assess
    expect(p.clientSecret?.kind).toBe(ref);
  });

  it('rejects a missing clientID and a missing secret, naming only keys Google has', () => {
    // Act
    const issues = issuesOf(withProvider('google', { clientID: undefined, clientSecret: undefined }));

    // Assess
    expect(issues).toEqual([
      { path: `${PATH}.clientID`, message: 'is required' },
      {
        path: PATH,
        message:
          "a client credential is required: set 'clientSecret', 'clientSecretFile', 'clientSecretEnv' or 'clientSecretArn'",
      },
    ]);
  });

  it('rejects two secrets at once', () => {
    // Act
    const issues = issuesOf(withProvider('google', { clientSecretEnv: 'GOOGLE_SECRET' }));

    // Assess
    expect(issues).toEqual([{ path: PATH, message: "only one of 'clientSecret', 'clientSecretEnv' may be set" }]);
  });

  it('rejects scopes without openid', () => {
    // Act
    const issues = issuesOf(withProvider('google', { scopes: 'profile email' }));

    // Assess
    expect(issues).toEqual([{ path: `${PATH}.scopes`, message: expect.stringContaining("must include 'openid'") }]);
  });

  it.each([
    'clientAssertion',
    'enablePKCE',
    'tlsInsecureSkipVerify',
    'tlsCACertificatePEM',
    'tokenIssuer',
    'tenantID',
    'logoutAtProvider',
  ])('rejects the unknown key %s', (key) => {
    // Act
    const bool = key === 'enablePKCE' || key === 'logoutAtProvider';
    const issues = issuesOf(withProvider('google', { [key]: bool ? false : 'x' }));

    // Assess
    expect(issues).toContainEqual({ path: PATH, message: `unknown key '${key}'` });
  });
});

describe('microsoftEntraID', () => {
  const PATH = 'portals[0].providers[0].microsoftEntraID';

  it("fills in upstream's defaults, with PKCE always on", () => {
    // Act
    const p = provider(withProvider('microsoftEntraID'));

    // Assess
    expect(p).toEqual({
      type: 'microsoftEntraID',
      tenantID: TENANT,
      name: 'microsoftentraid',
      displayName: 'Microsoft Entra ID',
      icon: 'microsoft',
      color: 'cyan',
      requestTimeout: 10_000,
      clientID: 'entra-client',
      clientSecret: { kind: 'inline', value: 'entra-secret' },
      clientAssertion: undefined,
      scopes: ['openid', 'profile', 'email'],
      enablePKCE: true,
      tls: { insecureSkipVerify: false, caPEM: undefined },
      additionalClaims: [],
      logoutAtProvider: false,
    });
  });

  it.each([
    { given: '11111111-2222-3333-4444-55555555AAAA', tenantID: '11111111-2222-3333-4444-55555555aaaa' },
    { given: 'common', tenantID: 'common' },
    { given: 'Organizations', tenantID: 'organizations' },
    { given: ' consumers ', tenantID: 'consumers' },
  ])('accepts the tenant $given as $tenantID', ({ given, tenantID }) => {
    // Act
    const p = provider(withProvider('microsoftEntraID', { tenantID: given }));

    // Assess
    expect(p.type === 'microsoftEntraID' && p.tenantID).toBe(tenantID);
  });

  it('rejects a missing tenantID', () => {
    // Act
    const issues = issuesOf(withProvider('microsoftEntraID', { tenantID: undefined }));

    // Assess
    expect(issues).toEqual([{ path: `${PATH}.tenantID`, message: 'is required' }]);
  });

  it.each(['contoso.onmicrosoft.com', 'tenant-1', '11111111-2222-3333-4444'])(
    'rejects the tenantID %s, which no ID token issuer can match',
    (tenantID) => {
      // Act
      const issues = issuesOf(withProvider('microsoftEntraID', { tenantID }));

      // Assess
      expect(issues).toEqual([
        { path: `${PATH}.tenantID`, message: expect.stringContaining('must be the directory (tenant) ID, a GUID') },
      ]);
    },
  );

  it('accepts a client assertion instead of a secret', () => {
    // Act
    const p = provider(
      withProvider('microsoftEntraID', { clientSecret: undefined, clientAssertion: 'AzureManagedIdentity=mi-1' }),
    );

    // Assess
    expect(p).toMatchObject({ clientSecret: undefined, clientAssertion: 'AzureManagedIdentity=mi-1' });
  });

  it('rejects a secret together with a client assertion, and neither at all', () => {
    // Act
    const both = issuesOf(withProvider('microsoftEntraID', { clientAssertion: 'AzureWorkloadIdentity' }));
    const none = issuesOf(withProvider('microsoftEntraID', { clientSecret: undefined }));

    // Assess
    expect(both).toEqual([{ path: PATH, message: expect.stringContaining("'clientAssertion' and 'clientSecret'") }]);
    expect(none).toEqual([{ path: PATH, message: expect.stringContaining("or 'clientAssertion'") }]);
  });

  it.each([
    { value: 'ManagedIdentity', assertion: 'AzureManagedIdentity' },
    { value: 'ManagedIdentity=0000-user-assigned', assertion: 'AzureManagedIdentity=0000-user-assigned' },
    { value: 'WorkloadIdentity', assertion: 'AzureWorkloadIdentity' },
  ])('maps the deprecated azureFederatedIdentity $value to clientAssertion $assertion', ({ value, assertion }) => {
    // Act
    const { config, notices } = load(
      withProvider('microsoftEntraID', { clientSecret: undefined, azureFederatedIdentity: value }),
    );

    // Assess
    expect(config.portals[0]?.providers[0]).toMatchObject({ clientAssertion: assertion, clientSecret: undefined });
    expect(notices).toEqual([
      {
        level: 'warn',
        message: `${PATH}.azureFederatedIdentity is deprecated: replace it with 'clientAssertion: ${assertion}'`,
      },
    ]);
  });

  it('rejects an azureFederatedIdentity value upstream does not know', () => {
    // Act
    const issues = issuesOf(
      withProvider('microsoftEntraID', {
        clientSecret: undefined,
        azureFederatedIdentity: 'KubernetesServiceAccountToken',
      }),
    );

    // Assess
    expect(issues).toContainEqual({
      path: `${PATH}.azureFederatedIdentity`,
      message: expect.stringContaining(
        "must be 'ManagedIdentity', 'ManagedIdentity=<client-id>' or 'WorkloadIdentity'",
      ),
    });
  });

  it('rejects azureFederatedIdentity together with clientAssertion', () => {
    // Act
    const issues = issuesOf(
      withProvider('microsoftEntraID', {
        clientSecret: undefined,
        clientAssertion: 'AzureWorkloadIdentity',
        azureFederatedIdentity: 'WorkloadIdentity',
      }),
    );

    // Assess
    expect(issues).toEqual([{ path: PATH, message: expect.stringContaining("keep only 'clientAssertion'") }]);
  });

  it.each(['enablePKCE', 'tlsInsecureSkipVerify', 'tlsCACertificatePath', 'endpoint'])(
    'rejects the unknown key %s',
    (key) => {
      // Act
      const issues = issuesOf(withProvider('microsoftEntraID', { [key]: key === 'enablePKCE' ? false : 'x' }));

      // Assess
      expect(issues).toContainEqual({ path: PATH, message: `unknown key '${key}'` });
    },
  );
});

describe('github', () => {
  const PATH = 'portals[0].providers[0].github';

  it("fills in upstream's defaults: scope user and, unlike upstream, PKCE", () => {
    // Act
    const p = provider(withProvider('github'));

    // Assess
    expect(p).toEqual({
      type: 'github',
      name: 'github',
      displayName: 'GitHub',
      icon: 'github',
      color: 'emerald',
      requestTimeout: 10_000,
      clientID: 'Iv1.abc',
      clientSecret: { kind: 'inline', value: 'github-secret' },
      scopes: ['user'],
      enablePKCE: true,
      tls: { insecureSkipVerify: false },
      additionalClaims: [],
      logoutAtProvider: false,
    });
  });

  it('honours clientSecretFile (upstream ignores it for GitHub)', () => {
    // Prepare
    const path = join(dir, 'github-secret');
    writeFileSync(path, 'github-secret-from-file\n');

    // Act
    const p = provider(withProvider('github', { clientSecret: undefined, clientSecretFile: path }));

    // Assess
    expect(p.clientSecret).toEqual({ kind: 'file', path });
  });

  it('rejects a clientSecretFile that cannot be read or is empty', () => {
    // Prepare
    const empty = join(dir, 'empty-secret');
    writeFileSync(empty, ' \n');

    // Act
    const missing = issuesOf(withProvider('github', { clientSecret: undefined, clientSecretFile: join(dir, 'nope') }));
    const blank = issuesOf(withProvider('github', { clientSecret: undefined, clientSecretFile: empty }));

    // Assess
    expect(missing).toEqual([
      { path: `${PATH}.clientSecretFile`, message: expect.stringContaining('cannot read file') },
    ]);
    expect(blank).toEqual([{ path: `${PATH}.clientSecretFile`, message: expect.stringContaining('file is empty') }]);
  });

  it('rejects a missing clientID and a missing secret, naming only keys GitHub has', () => {
    // Act
    const issues = issuesOf(withProvider('github', { clientID: undefined, clientSecret: undefined }));

    // Assess
    expect(issues).toEqual([
      { path: `${PATH}.clientID`, message: 'is required' },
      {
        path: PATH,
        message:
          "a client credential is required: set 'clientSecret', 'clientSecretFile', 'clientSecretEnv' or 'clientSecretArn'",
      },
    ]);
  });

  it('rejects an invalid name and duration, as for every provider', () => {
    // Act
    const issues = issuesOf(withProvider('github', { name: '1github', requestTimeout: 'soon' }));

    // Assess
    expect(issues.map((i) => i.path)).toEqual([`${PATH}.name`, `${PATH}.requestTimeout`]);
  });

  it.each(['scopes', 'clientAssertion', 'additionalClaims', 'enablePKCE', 'tlsCACertificatePEM', 'logoutAtProvider'])(
    'rejects the unknown key %s',
    (key) => {
      // Act
      const value =
        key === 'enablePKCE' || key === 'logoutAtProvider' ? false : key === 'additionalClaims' ? ['x'] : 'x';
      const issues = issuesOf(withProvider('github', { [key]: value }));

      // Assess
      expect(issues).toContainEqual({ path: PATH, message: `unknown key '${key}'` });
    },
  );
});

describe('providers together', () => {
  it('accepts Google, Entra ID and GitHub side by side in one portal', () => {
    // Prepare
    const data = {
      portals: [
        {
          name: 'main',
          providers: [{ google: BASE.google }, { microsoftEntraID: BASE.microsoftEntraID }, { github: BASE.github }],
        },
      ],
    };

    // Act
    const { config } = load(data);

    // Assess
    expect(config.portals[0]?.providers.map((p) => [p.type, p.name])).toEqual([
      ['google', 'google'],
      ['microsoftEntraID', 'microsoftentraid'],
      ['github', 'github'],
    ]);
  });

  it('rejects two providers of one kind that keep the default name', () => {
    // Act
    const issues = issuesOf({
      portals: [{ name: 'main', providers: [{ github: BASE.github }, { github: BASE.github }] }],
    });

    // Assess
    expect(issues).toEqual([
      { path: 'portals[0].providers[1].github.name', message: "duplicate provider name 'github' in this portal" },
    ]);
  });

  it('never shows a secret value in an error about it', () => {
    // Act
    const issues = issuesOf(withProvider('github', { clientSecret: ['TOPSECRET-gh'] }));

    // Assess
    expect(JSON.stringify(issues)).not.toContain('TOPSECRET-gh');
  });
});

describe('KubernetesServiceAccountToken without a path (issue 12 §5)', () => {
  const PROVIDER = 'portals[0].providers[0].microsoftEntraID';

  it("warns that the pod's default token (audience: the API server) is sent to the provider", () => {
    // Act
    const { notices } = load(
      withProvider('microsoftEntraID', { clientSecret: undefined, clientAssertion: 'KubernetesServiceAccountToken' }),
    );

    // Assess
    expect(notices).toEqual([
      {
        level: 'warn',
        message:
          `${PROVIDER}.clientAssertion is KubernetesServiceAccountToken without a path: the pod's default token, ` +
          "whose audience is the Kubernetes API server, is sent to the provider. Mount a projected token with the provider's " +
          'audience and name its path (KubernetesServiceAccountToken=<path>)',
      },
    ]);
  });

  it('says nothing when the token path is given', () => {
    // Act
    const { notices } = load(
      withProvider('microsoftEntraID', {
        clientSecret: undefined,
        clientAssertion: 'KubernetesServiceAccountToken=/var/run/secrets/tokens/entra',
      }),
    );

    // Assess
    expect(notices).toEqual([]);
  });
});

describe('tailscaleWhois', () => {
  const portal = (...providers: Obj[]) => ({ portals: [{ name: 'main', providers }] });

  it('has upstream’s defaults and lives beside the sign-in providers, not among them', () => {
    // Act
    const { config } = load(portal({ tailscaleWhois: {} }));

    // Assess
    expect(config.portals[0]?.providers).toEqual([]);
    expect(config.portals[0]?.tailscaleWhois).toEqual({
      name: 'tailscalewhois',
      displayName: 'Tailscale Whois',
      icon: 'tailscale',
      color: 'slate',
      requestTimeout: 10_000,
      capabilityNames: ['italypaleale.me/traefik-forward-auth'],
      socketPath: '/var/run/tailscale/tailscaled.sock',
      path: 'portals[0].providers[0].tailscaleWhois',
    });
  });

  it('keeps the options: tailnet lower-cased, an https:// capability prefix dropped, the socket path', () => {
    // Act
    const { config } = load(
      portal(
        { github: BASE.github },
        {
          tailscaleWhois: {
            name: 'TS',
            allowedTailnet: 'Example.TS.net.',
            capabilityNames: ['https://example.com/cap/a', 'example.com/cap/b'],
            socketPath: '/run/ts.sock',
            requestTimeout: '3s',
          },
        },
      ),
    );

    // Assess
    expect(config.portals[0]?.providers.map((p) => p.name)).toEqual(['github']);
    expect(config.portals[0]?.tailscaleWhois).toMatchObject({
      name: 'ts',
      allowedTailnet: 'example.ts.net',
      capabilityNames: ['example.com/cap/a', 'example.com/cap/b'],
      socketPath: '/run/ts.sock',
      requestTimeout: 3000,
      path: 'portals[0].providers[1].tailscaleWhois',
    });
  });

  it.each([
    ['http://example.com/cap', "must be 'host/path' (only an https:// prefix is accepted)"],
    ['example.com', "must be 'host/path', for example 'example.com/cap/app'"],
    ['example.com/', "must be 'host/path', for example 'example.com/cap/app'"],
    ['/cap', "must be 'host/path', for example 'example.com/cap/app'"],
  ])('rejects the capability name %s, naming the key', (name, message) => {
    // Act
    const issues = issuesOf(portal({ tailscaleWhois: { capabilityNames: [name] } }));

    // Assess
    expect(issues).toEqual([
      {
        path: 'portals[0].providers[0].tailscaleWhois.capabilityNames[0]',
        message: `${message} (got ${JSON.stringify(name)})`,
      },
    ]);
  });

  it('rejects a second tailscaleWhois, a clashing name, a relative socket path and OAuth keys', () => {
    // Act
    const issues = issuesOf({
      portals: [
        { name: 'one', providers: [{ tailscaleWhois: {} }, { tailscaleWhois: { name: 'other' } }] },
        { name: 'two', providers: [{ github: { ...BASE.github, name: 'ts' } }, { tailscaleWhois: { name: 'ts' } }] },
        { name: 'three', providers: [{ tailscaleWhois: { socketPath: 'ts.sock' } }] },
        { name: 'four', providers: [{ tailscaleWhois: { clientID: 'x' } }] },
      ],
    });

    // Assess
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'portals[3].providers[0].tailscaleWhois',
        message: expect.stringContaining('clientID'),
      }),
      { path: 'portals[0].providers[1].tailscaleWhois', message: 'a portal can have only one tailscaleWhois provider' },
      { path: 'portals[1].providers[1].tailscaleWhois.name', message: "duplicate provider name 'ts' in this portal" },
      {
        path: 'portals[2].providers[0].tailscaleWhois.socketPath',
        message: 'must be an absolute path (got "ts.sock")',
      },
    ]);
  });
});
