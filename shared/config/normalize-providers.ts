/** Normalisation of `portals[].providers[]`: each provider kind's keys, credential and TLS settings. */
import { validateCaPem } from './ca-pem.js';
import { type AssertionSpec, parseClientAssertion } from './client-assertion.js';
import { isLoopbackHost, NAME_RE } from './names.js';
import type { Normalizer } from './normalizer.js';
import type {
  RawGitHub,
  RawGoogle,
  RawMicrosoftEntraID,
  RawOpenIDConnect,
  RawPocketID,
  RawProvider,
  RawTailscaleWhois,
} from './schema.js';
import type { OIDCFamilyConfig, ProviderConfig, SecretRef, TailscaleWhoisConfig } from './types.js';

const PROVIDER_DEFAULTS = {
  pocketID: {
    name: 'pocketid',
    displayName: 'Pocket ID',
    icon: 'pocketid',
    color: 'zinc',
    scopes: 'openid profile email groups',
  },
  openIDConnect: {
    name: 'openidconnect',
    displayName: 'OpenID Connect',
    icon: 'openid',
    color: 'pink',
    scopes: 'openid profile email',
  },
  google: { name: 'google', displayName: 'Google', icon: 'google', color: 'yellow', scopes: 'openid profile email' },
  microsoftEntraID: {
    name: 'microsoftentraid',
    displayName: 'Microsoft Entra ID',
    icon: 'microsoft',
    color: 'cyan',
    scopes: 'openid profile email',
  },
  github: { name: 'github', displayName: 'GitHub', icon: 'github', color: 'emerald', scopes: 'user' },
  tailscaleWhois: { name: 'tailscalewhois', displayName: 'Tailscale Whois', icon: 'tailscale', color: 'slate' },
} as const;

/**
 * Normalises the providers of one portal, collecting every issue on `n`. `tailscaleWhois` comes back on its own: it
 * has no sign-in step (see `PortalConfig.tailscaleWhois`).
 */
export function normalizeProviders(
  n: Normalizer,
  portalPath: string,
  raw: RawProvider[] | undefined,
): { providers: ProviderConfig[]; tailscaleWhois?: TailscaleWhoisConfig } {
  if (!raw || raw.length === 0) {
    n.error(`${portalPath}.providers`, 'at least one authentication provider must be configured');
    return { providers: [] };
  }
  const out: ProviderConfig[] = [];
  let tailscaleWhois: TailscaleWhoisConfig | undefined;
  const taken = (name: string) => out.some((p) => p.name === name) || tailscaleWhois?.name === name;
  for (const [i, entry] of raw.entries()) {
    const path = `${portalPath}.providers[${i}]`;
    const types = Object.keys(entry).filter((k) => entry[k as keyof RawProvider] !== undefined);
    if (types.length === 0) {
      n.error(path, 'no provider type configured');
      continue;
    }
    if (types.length > 1) {
      n.error(path, `cannot configure more than one provider type (found ${types.join(', ')})`);
      continue;
    }
    const type = types[0] as keyof RawProvider;
    if (entry.tailscaleWhois) {
      const ts = normalizeTailscaleWhois(n, `${path}.${type}`, entry.tailscaleWhois);
      if (!ts) continue;
      if (tailscaleWhois) n.error(`${path}.${type}`, 'a portal can have only one tailscaleWhois provider');
      else if (taken(ts.name)) n.error(`${path}.${type}.name`, `duplicate provider name '${ts.name}' in this portal`);
      else tailscaleWhois = ts;
      continue;
    }

    const provider = normalizeProvider(n, `${path}.${type}`, entry);
    if (!provider) continue;
    if (taken(provider.name)) {
      n.error(`${path}.${type}.name`, `duplicate provider name '${provider.name}' in this portal`);
      continue;
    }
    out.push(provider);
  }
  return { providers: out, ...(tailscaleWhois ? { tailscaleWhois } : {}) };
}

const DEFAULT_CAPABILITY = 'italypaleale.me/traefik-forward-auth';

/**
 * Upstream's rules: each capability name is `host/path` (an `https://` prefix is dropped; `http://`, no path or an
 * empty one is an error); `allowedTailnet` is compared as given (lower-cased, no trailing dot).
 */
function normalizeTailscaleWhois(
  n: Normalizer,
  path: string,
  raw: RawTailscaleWhois,
): TailscaleWhoisConfig | undefined {
  const before = n.issues.length;
  const base = normalizeProviderBase(n, path, 'tailscaleWhois', raw);
  const capabilityNames: string[] = [];
  for (const [i, value] of (raw.capabilityNames ?? [DEFAULT_CAPABILITY]).entries()) {
    const name = value.trim().replace(/^https:\/\//i, '');
    const slash = name.indexOf('/');
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name))
      n.error(`${path}.capabilityNames[${i}]`, "must be 'host/path' (only an https:// prefix is accepted)", value);
    else if (slash <= 0 || slash === name.length - 1)
      n.error(`${path}.capabilityNames[${i}]`, "must be 'host/path', for example 'example.com/cap/app'", value);
    else capabilityNames.push(name);
  }
  const allowedTailnet = raw.allowedTailnet?.trim().toLowerCase().replace(/\.$/, '') || undefined;
  const socketPath = raw.socketPath ?? '/var/run/tailscale/tailscaled.sock';
  if (!socketPath.startsWith('/')) n.error(`${path}.socketPath`, 'must be an absolute path', raw.socketPath);
  if (n.issues.length > before) return undefined;
  return { ...base, ...(allowedTailnet ? { allowedTailnet } : {}), capabilityNames, socketPath, path };
}

/** Normalises the one provider kind set in `entry` (the caller checked there is exactly one). */
function normalizeProvider(n: Normalizer, path: string, entry: RawProvider): ProviderConfig | undefined {
  if (entry.pocketID) return normalizePocketID(n, path, entry.pocketID);
  if (entry.openIDConnect) return normalizeOpenIDConnect(n, path, entry.openIDConnect);
  if (entry.google) return normalizeGoogle(n, path, entry.google);
  if (entry.microsoftEntraID) return normalizeMicrosoftEntraID(n, path, entry.microsoftEntraID);
  if (entry.github) return normalizeGitHub(n, path, entry.github);
  return undefined;
}

function normalizeGoogle(n: Normalizer, path: string, raw: RawGoogle): ProviderConfig | undefined {
  const common = normalizeOIDCFamily(n, path, 'google', raw);
  return common && { type: 'google', ...common };
}

/**
 * The multi-tenant authorities (as `ENTRA_MULTI_TENANT_AUTHORITIES` in the provider, not imported here to keep
 * openid-client out of config loading); anything else must be a tenant GUID, since ID tokens name tenants by GUID.
 */
const ENTRA_MULTI_TENANT = ['common', 'organizations', 'consumers'];
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function normalizeMicrosoftEntraID(n: Normalizer, path: string, raw: RawMicrosoftEntraID): ProviderConfig | undefined {
  const before = n.issues.length;
  const tenantID = raw.tenantID?.trim().toLowerCase() ?? '';
  if (!tenantID) n.error(`${path}.tenantID`, 'is required');
  else if (!ENTRA_MULTI_TENANT.includes(tenantID) && !GUID_RE.test(tenantID))
    n.error(
      `${path}.tenantID`,
      "must be the directory (tenant) ID, a GUID, or 'common', 'organizations' or 'consumers' (ID tokens name the tenant by its GUID, so a domain name never matches)",
      raw.tenantID,
    );

  // Upstream maps the deprecated option onto clientAssertion by prefixing "Azure".
  let clientAssertion = raw.clientAssertion;
  const federated = raw.azureFederatedIdentity?.trim();
  if (federated) {
    const mapped = `Azure${federated}`;
    if (raw.clientAssertion?.trim())
      n.error(path, "'azureFederatedIdentity' and 'clientAssertion' are both set: keep only 'clientAssertion'");
    else if (!/^(ManagedIdentity(=.*)?|WorkloadIdentity)$/i.test(federated))
      n.error(
        `${path}.azureFederatedIdentity`,
        "must be 'ManagedIdentity', 'ManagedIdentity=<client-id>' or 'WorkloadIdentity'",
        raw.azureFederatedIdentity,
      );
    else {
      clientAssertion = mapped;
      n.notices.push({
        level: 'warn',
        message: `${path}.azureFederatedIdentity is deprecated: replace it with 'clientAssertion: ${mapped}'`,
      });
    }
  }

  const common = normalizeOIDCFamily(n, path, 'microsoftEntraID', { ...raw, clientAssertion });
  if (!common || n.issues.length > before) return undefined;
  return { type: 'microsoftEntraID', tenantID, ...common };
}

/**
 * GitHub is plain OAuth 2.0 with upstream's fixed scope `user`. Unlike upstream, every secret key works (upstream
 * never reads `clientSecretFile` for GitHub) and PKCE is sent (GitHub accepts S256 since July 2025).
 */
function normalizeGitHub(n: Normalizer, path: string, raw: RawGitHub): ProviderConfig | undefined {
  const before = n.issues.length;
  const base = normalizeProviderBase(n, path, 'github', raw);
  if (!raw.clientID) n.error(`${path}.clientID`, 'is required');
  const clientSecret = secretRef(n, path, raw, false, false);
  if (n.issues.length > before) return undefined;
  return {
    type: 'github',
    ...base,
    clientID: raw.clientID ?? '',
    clientSecret,
    scopes: [PROVIDER_DEFAULTS.github.scopes],
    enablePKCE: true,
    tls: { insecureSkipVerify: false },
    additionalClaims: [],
    logoutAtProvider: false,
  };
}

function normalizePocketID(n: Normalizer, path: string, raw: RawPocketID): ProviderConfig | undefined {
  const endpoint = providerURL(n, `${path}.endpoint`, raw.endpoint)?.replace(/\/+$/, '');
  const common = normalizeOIDCFamily(n, path, 'pocketID', raw);
  if (!endpoint || !common) return undefined;
  return { type: 'pocketID', endpoint, ...common };
}

function normalizeOpenIDConnect(n: Normalizer, path: string, raw: RawOpenIDConnect): ProviderConfig | undefined {
  const tokenIssuer = providerURL(n, `${path}.tokenIssuer`, raw.tokenIssuer);
  const common = normalizeOIDCFamily(n, path, 'openIDConnect', raw);
  if (!tokenIssuer || !common) return undefined;
  return { type: 'openIDConnect', tokenIssuer, ...common };
}

/** https anywhere, plain http only for loopback hosts (DESIGN §3.10). */
function providerURL(n: Normalizer, path: string, value: string | undefined): string | undefined {
  if (!value) {
    n.error(path, 'is required');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    n.error(path, 'must be an absolute URL', value);
    return undefined;
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    n.error(path, 'must use https (plain http is accepted only for localhost and 127.0.0.0/8)', value);
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    n.error(path, 'must be an https URL', value);
    return undefined;
  }
  return value.trim();
}

function normalizeOIDCFamily(
  n: Normalizer,
  path: string,
  type: Exclude<keyof typeof PROVIDER_DEFAULTS, 'tailscaleWhois'>,
  raw: RawPocketID & RawOpenIDConnect,
): Omit<OIDCFamilyConfig, never> | undefined {
  const defaults = PROVIDER_DEFAULTS[type];
  const before = n.issues.length;

  const base = normalizeProviderBase(n, path, type, raw);
  if (!raw.clientID) n.error(`${path}.clientID`, 'is required');

  let clientAssertion: string | undefined;
  let assertion: AssertionSpec | undefined;
  // An empty value means "not set", as upstream.
  if (raw.clientAssertion !== undefined && raw.clientAssertion.trim() !== '') {
    const parsed = parseClientAssertion(raw.clientAssertion);
    if ('error' in parsed) n.error(`${path}.clientAssertion`, parsed.error);
    else {
      clientAssertion = raw.clientAssertion;
      assertion = parsed.spec;
      // The pod's default token is meant for the Kubernetes API server (its audience), not for the provider.
      if (parsed.spec.kind === 'kubernetes' && !raw.clientAssertion.includes('='))
        n.notices.push({
          level: 'warn',
          message:
            `${path}.clientAssertion is KubernetesServiceAccountToken without a path: the pod's default token, whose ` +
            'audience is the Kubernetes API server, is sent to the provider. Mount a projected token with the ' +
            "provider's audience and name its path (KubernetesServiceAccountToken=<path>)",
        });
    }
  }
  const clientSecret = secretRef(n, path, raw, clientAssertion !== undefined, type !== 'google');

  if (raw.tlsCACertificatePEM !== undefined && raw.tlsCACertificatePath !== undefined)
    n.error(path, "'tlsCACertificatePEM' and 'tlsCACertificatePath' are mutually exclusive: set only one");
  let caPEM = raw.tlsCACertificatePEM;
  let caPath = `${path}.tlsCACertificatePEM`;
  if (raw.tlsCACertificatePath !== undefined && caPEM === undefined) {
    caPEM = n.readFile(`${path}.tlsCACertificatePath`, raw.tlsCACertificatePath);
    caPath = `${path}.tlsCACertificatePath`;
  }
  if (caPEM !== undefined) {
    const problem = validateCaPem(caPEM);
    if (problem) n.error(caPath, problem);
  }
  if (raw.tlsInsecureSkipVerify)
    n.notices.push({
      level: 'warn',
      message: `${path}.tlsInsecureSkipVerify is true: TLS certificates of this provider are not verified`,
    });

  const scopes = (raw.scopes ?? defaults.scopes).split(/\s+/).filter(Boolean);
  if (!scopes.includes('openid')) n.error(`${path}.scopes`, "must include 'openid'", raw.scopes);

  if (n.issues.length > before) return undefined;
  return {
    ...base,
    clientID: raw.clientID ?? '',
    clientSecret,
    clientAssertion,
    ...(assertion ? { assertion } : {}),
    scopes,
    // PKCE is on by default here (DESIGN §3.3); upstream defaults to off.
    enablePKCE: raw.enablePKCE ?? true,
    tls: { insecureSkipVerify: raw.tlsInsecureSkipVerify ?? false, caPEM },
    additionalClaims: raw.additionalClaims ?? [],
    logoutAtProvider: raw.logoutAtProvider ?? false,
  };
}

/** The display options, name and timeout every provider kind has. */
function normalizeProviderBase(
  n: Normalizer,
  path: string,
  type: keyof typeof PROVIDER_DEFAULTS,
  raw: Pick<RawGitHub, 'name' | 'displayName' | 'icon' | 'color' | 'requestTimeout'>,
): Pick<OIDCFamilyConfig, 'name' | 'displayName' | 'icon' | 'color' | 'requestTimeout'> {
  const defaults = PROVIDER_DEFAULTS[type];
  let name: string = defaults.name;
  if (raw.name !== undefined) {
    if (!NAME_RE.test(raw.name))
      n.error(`${path}.name`, 'must be 2-40 characters: a letter, then letters, digits, "-", "_" or "."', raw.name);
    name = raw.name.toLowerCase();
  }
  let requestTimeout = n.duration(`${path}.requestTimeout`, raw.requestTimeout, 10_000);
  if (requestTimeout < 1000) requestTimeout = 10_000;
  return {
    name,
    displayName: raw.displayName || defaults.displayName,
    icon: raw.icon ?? defaults.icon,
    color: raw.color ?? defaults.color,
    requestTimeout,
  };
}

const SECRET_KEYS = ['clientSecret', 'clientSecretFile', 'clientSecretEnv', 'clientSecretArn'] as const;

/** `arn:<partition>:kms:<region>:<account>:key/<key id>` (a key ARN: IAM policies cannot name a key by alias). */
const KMS_KEY_ARN_RE = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** @param assertionKey whether this provider kind has a `clientAssertion` key (named in the "required" error). */
function secretRef(
  n: Normalizer,
  path: string,
  raw: RawPocketID,
  hasAssertion: boolean,
  assertionKey = true,
): SecretRef | undefined {
  const set = SECRET_KEYS.filter((k) => raw[k] !== undefined && raw[k] !== '');
  const kmsKeyArn = raw.clientSecretKmsKeyArn || undefined;
  if (kmsKeyArn !== undefined) {
    if (!raw.clientSecretArn) n.error(`${path}.clientSecretKmsKeyArn`, "applies only together with 'clientSecretArn'");
    else if (!KMS_KEY_ARN_RE.test(kmsKeyArn))
      n.error(
        `${path}.clientSecretKmsKeyArn`,
        'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
        kmsKeyArn,
      );
  }
  if (hasAssertion) {
    // Upstream silently lets the secret win; an ambiguous credential is refused here.
    if (set.length > 0)
      n.error(
        path,
        `'clientAssertion' and '${set.join("', '")}' are both set: configure either a client secret or a client assertion`,
      );
    return undefined;
  }
  if (set.length === 0) {
    if (n.opts.allowMissingCredential) return undefined;
    n.error(
      path,
      `a client credential is required: set 'clientSecret', 'clientSecretFile', 'clientSecretEnv'${assertionKey ? ", 'clientSecretArn' or 'clientAssertion'" : " or 'clientSecretArn'"}`,
    );
    return undefined;
  }
  if (set.length > 1) {
    n.error(path, `only one of '${set.join("', '")}' may be set`);
    return undefined;
  }
  const key = set[0];
  const value = key ? (raw[key] ?? '') : '';
  switch (key) {
    case 'clientSecretFile': {
      const content = n.readFile(`${path}.clientSecretFile`, value);
      if (content !== undefined && content.trim() === '') n.error(`${path}.clientSecretFile`, 'file is empty', value);
      return { kind: 'file', path: value };
    }
    case 'clientSecretEnv':
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value))
        n.error(`${path}.clientSecretEnv`, 'must be an environment variable name', value);
      else if (n.checkEnv && !n.opts.env[value]?.trim())
        n.error(
          `${path}.clientSecretEnv`,
          `names the environment variable '${value}', which is ${n.opts.env[value] === undefined ? 'not set' : 'empty'}`,
        );
      return { kind: 'env', name: value };
    case 'clientSecretArn':
      return { kind: 'secretsManager', secretId: value, ...(kmsKeyArn ? { kmsKeyArn } : {}) };
    default:
      return { kind: 'inline', value };
  }
}
