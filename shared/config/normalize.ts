import { readFileSync } from 'node:fs';
import { validateCaPem } from './ca-pem.js';
import { type AssertionSpec, parseClientAssertion } from './client-assertion.js';
import { parseDuration } from './duration.js';
import { type ConfigIssue, showValue } from './errors.js';
import { canonicalHeaderName, HEADER_NAME_RE, isHostname, isLoopbackHost, NAME_RE } from './names.js';
import {
  type RawConfig,
  type RawGitHub,
  type RawGoogle,
  type RawMicrosoftEntraID,
  type RawOpenIDConnect,
  type RawPocketID,
  type RawPortal,
  type RawProvider,
  UNSUPPORTED_PROVIDER_TYPES,
} from './schema.js';
import type {
  Config,
  DomainConfig,
  HeaderConfig,
  IdentityAssertionConfig,
  LogLevel,
  OIDCFamilyConfig,
  PortalConfig,
  ProviderConfig,
  SecretRef,
} from './types.js';

const MINUTE = 60_000;

export interface NormalizeOptions {
  /** Read `clientSecretFile` / `tlsCACertificatePath` now, so a missing file is a config error. @default true */
  readFiles?: boolean;
  /**
   * The environment the server will run with: when given, a `clientSecretEnv` naming an unset or empty variable is an
   * error now rather than at the first login. Left out where the environment is not the runtime's (`cdk synth`).
   */
  env?: Record<string, string | undefined>;
  /**
   * Accept a provider with neither a client secret nor an assertion: at `cdk synth` the stack creates a Secrets
   * Manager secret for it. @default false
   */
  allowMissingCredential?: boolean;
  /**
   * Whether the logs go to a terminal. Without `logs.json`, logs are text on a terminal and JSON otherwise (as
   * upstream documents), so a container's log collector gets JSON with no setting. @default true
   */
  logsToTerminal?: boolean;
}

export interface Notice {
  level: 'warn' | 'info' | 'debug';
  message: string;
}

/** Collects issues and notices while turning a schema-valid raw config into a `Config`. */
class Normalizer {
  readonly issues: ConfigIssue[] = [];
  readonly notices: Notice[] = [];
  constructor(
    readonly opts: Required<NormalizeOptions>,
    /** Whether `opts.env` is the runtime environment (it was passed), so `clientSecretEnv` can be checked. */
    readonly checkEnv = false,
  ) {}

  error(path: string, message: string, value?: unknown): void {
    this.issues.push({ path, message: value === undefined ? message : `${message} (got ${showValue(path, value)})` });
  }

  duration(path: string, value: string | undefined, fallback: number): number {
    if (value === undefined) return fallback;
    const ms = parseDuration(value);
    if (ms === undefined) {
      this.error(path, 'must be a duration such as "30s", "5m" or "2h"', value);
      return fallback;
    }
    return ms;
  }

  readFile(path: string, file: string): string | undefined {
    if (!this.opts.readFiles) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      this.error(path, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, file);
      return undefined;
    }
  }
}

/**
 * Applies upstream's defaults, normalisation and validation rules to a raw config, collecting every issue.
 * Returns the config (meaningful only when `issues` is empty), the issues, and notices to log at start-up.
 */
export function normalizeConfig(
  raw: RawConfig,
  options: NormalizeOptions = {},
): { config: Config; issues: ConfigIssue[]; notices: Notice[] } {
  const n = new Normalizer(
    {
      readFiles: options.readFiles ?? true,
      env: options.env ?? {},
      allowMissingCredential: options.allowMissingCredential ?? false,
      logsToTerminal: options.logsToTerminal ?? true,
    },
    options.env !== undefined,
  );
  const server = raw.server ?? {};
  const cookies = raw.cookies ?? {};
  const tokens = raw.tokens ?? {};
  const logs = raw.logs ?? {};
  const sessions = raw.sessions ?? {};

  const domains = normalizeDomains(n, raw);

  const port = server.port ?? 4181;
  if (port < 1 || port > 65535) n.error('server.port', 'must be between 1 and 65535', port);

  let basePath = (server.basePath ?? '').trim();
  if (basePath !== '' && basePath !== '/') {
    if (!basePath.startsWith('/')) basePath = `/${basePath}`;
    basePath = basePath.replace(/\/+$/, '');
  }
  // A bare "/" means no prefix for route matching; upstream leaves it as is and Gin treats it as the root.
  if (basePath === '/') basePath = '';
  if (!/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$/.test(basePath))
    n.error('server.basePath', 'is not a valid URL path', server.basePath);

  if (server.tlsClientAuth)
    n.error('server.tlsClientAuth', 'is not supported yet (terminate mTLS at the proxy or API Gateway)');
  if ((server.tlsCertPEM === undefined) !== (server.tlsKeyPEM === undefined))
    n.notices.push({
      level: 'warn',
      message: 'server.tlsCertPEM and server.tlsKeyPEM must both be set; TLS stays off',
    });

  if (tokens.signingKey !== undefined || tokens.signingKeyFile !== undefined)
    n.notices.push({
      level: 'info',
      message:
        "'tokens.signingKey' is accepted for compatibility and ignored: sessions are stored server-side and nothing is signed",
    });

  const sessionLifetime = n.duration('tokens.sessionLifetime', tokens.sessionLifetime, 2 * 60 * MINUTE);
  if (sessionLifetime < MINUTE) n.error('tokens.sessionLifetime', 'must be at least 1m', tokens.sessionLifetime);

  const rawLevel = (logs.level ?? 'info').toLowerCase();
  const level: LogLevel | undefined =
    rawLevel === 'warning' ? 'warn' : (['debug', 'info', 'warn', 'error'] as const).find((l) => l === rawLevel);
  if (!level) n.error('logs.level', 'must be one of debug, info, warn, error', logs.level);
  const sample = logs.sampleSuccessfulChecks;
  if (sample !== undefined && !(Number.isFinite(sample) && sample >= 0 && sample <= 1))
    n.error('logs.sampleSuccessfulChecks', 'must be a number from 0 (none) to 1 (every check)', sample);

  const verifyCacheTTL = n.duration('sessions.verifyCacheTTL', sessions.verifyCacheTTL, 10_000);
  if (verifyCacheTTL < 0) n.error('sessions.verifyCacheTTL', 'must not be negative', sessions.verifyCacheTTL);
  const verifyCacheSize = sessions.verifyCacheSize ?? 10_000;
  if (verifyCacheSize < 1) n.error('sessions.verifyCacheSize', 'must be at least 1', verifyCacheSize);
  if (sessions.dynamoDBEndpoint !== undefined && sessions.embeddedPath !== undefined)
    n.error(
      'sessions',
      "set either 'dynamoDBEndpoint' (a real DynamoDB) or 'embeddedPath' (the embedded store), not both",
    );
  if (sessions.dynamoDBEndpoint !== undefined && !URL.canParse(sessions.dynamoDBEndpoint))
    n.error('sessions.dynamoDBEndpoint', 'must be a URL', sessions.dynamoDBEndpoint);

  const namePrefix = cookies.namePrefix ?? 'tf_sess';
  if (!/^[A-Za-z0-9_-]+$/.test(namePrefix))
    n.error('cookies.namePrefix', 'may contain only letters, digits, "_" and "-"', namePrefix);

  const portals = normalizePortals(n, raw.portals, sessionLifetime);
  let defaultPortal: string | undefined;
  if (raw.defaultPortal !== undefined) {
    defaultPortal = raw.defaultPortal.toLowerCase();
    if (!portals.some((p) => p.name === defaultPortal))
      n.error('defaultPortal', 'must be the name of a configured portal', raw.defaultPortal);
  }

  const config: Config = {
    server: {
      domains,
      port,
      bind: server.bind ?? '0.0.0.0',
      basePath,
      trustedRequestIdHeader: server.trustedRequestIdHeader || undefined,
      favicon: server.favicon || undefined,
      tlsPath: server.tlsPath,
      tlsCertPEM: server.tlsCertPEM,
      tlsKeyPEM: server.tlsKeyPEM,
      tlsCAPEM: server.tlsCAPEM,
      tlsClientAuth: server.tlsClientAuth ?? false,
    },
    cookies: { namePrefix, insecure: cookies.insecure ?? false },
    tokens: { sessionLifetime, sessionTokenAudience: tokens.sessionTokenAudience || undefined },
    logs: {
      level: level ?? 'info',
      json: logs.json ?? !n.opts.logsToTerminal,
      omitHealthChecks: logs.omitHealthChecks ?? true,
      ...(sample === undefined ? {} : { sampleSuccessfulChecks: sample }),
    },
    sessions: {
      tableName: sessions.tableName ?? 'tfa-sessions',
      dynamoDBEndpoint: sessions.dynamoDBEndpoint,
      region: sessions.region,
      embeddedPath: sessions.embeddedPath,
      verifyCacheTTL,
      verifyCacheSize,
    },
    defaultPortal,
    portals,
    dev: { disableClientCache: raw.dev?.disableClientCache ?? false },
  };
  return { config, issues: n.issues, notices: n.notices };
}

function normalizeDomains(n: Normalizer, raw: RawConfig): DomainConfig[] {
  const server = raw.server ?? {};
  const out: DomainConfig[] = [];
  const entries: { domain?: string; authHost?: string; authPort?: number; path: string }[] = (server.domains ?? []).map(
    (d, i) => ({
      ...d,
      path: `server.domains[${i}]`,
    }),
  );

  const legacy = raw.cookies?.domain;
  if (legacy !== undefined) {
    if (entries.length > 0) n.error('cookies.domain', "is deprecated and cannot be combined with 'server.domains'");
    else {
      n.notices.push({ level: 'warn', message: "'cookies.domain' is deprecated: move it to 'server.domains'" });
      entries.push({ domain: legacy, authHost: server.hostname, path: 'cookies.domain' });
    }
  } else if (server.hostname !== undefined) {
    n.notices.push({
      level: 'warn',
      message: "'server.hostname' is deprecated and ignored: use 'server.domains[].authHost'",
    });
  }

  for (const e of entries) {
    const domainPath = e.path === 'cookies.domain' ? e.path : `${e.path}.domain`;
    if (!e.domain) {
      n.error(domainPath, 'is required');
      continue;
    }
    const domain = stripHost(e.domain);
    if (!isHostname(domain)) {
      n.error(domainPath, 'must be a valid host name (not an IP address)', e.domain);
      continue;
    }
    let authHost = domain;
    if (e.authHost) {
      const authPath = e.path === 'cookies.domain' ? 'server.hostname' : `${e.path}.authHost`;
      const split = splitAuthHost(e.authHost);
      if ('error' in split) {
        n.error(authPath, split.error, e.authHost);
        continue;
      }
      if (split.host !== domain && !split.host.endsWith(`.${domain}`)) {
        n.error(authPath, `must be '${domain}' or a sub-domain of it`, e.authHost);
        continue;
      }
      authHost = split.port ? `${split.host}:${split.port}` : split.host;
    }
    if (e.authPort !== undefined) {
      const portPath = `${e.path}.authPort`;
      if (e.authPort < 1 || e.authPort > 65535) {
        n.error(portPath, 'must be between 1 and 65535', e.authPort);
        continue;
      }
      if (authHost.includes(':')) {
        n.error(portPath, "set the port either in 'authHost' (host:port) or in 'authPort', not both", e.authPort);
        continue;
      }
      // Like upstream: 443 is the default and is left out of URLs.
      if (e.authPort !== 443) authHost = `${authHost}:${e.authPort}`;
    }
    // Duplicates are dropped silently, first wins (upstream behaviour).
    if (!out.some((d) => d.domain === domain)) out.push({ domain, authHost });
  }
  return out;
}

function stripHost(host: string): string {
  return host.trim().toLowerCase().replace(/:\d*$/, '').replace(/\.$/, '');
}

/** Splits `host[:port]`, lower-casing the host and dropping `:443`. */
export function splitAuthHost(value: string): { host: string; port?: number } | { error: string } {
  const m = /^([^:]+)(?::(.*))?$/.exec(value.trim().toLowerCase());
  if (!m?.[1]) return { error: 'must be a host name with an optional port' };
  const host = m[1].replace(/\.$/, '');
  if (!isHostname(host)) return { error: 'must be a valid host name' };
  if (m[2] === undefined) return { host };
  if (!/^\d{1,5}$/.test(m[2]) || Number(m[2]) < 1 || Number(m[2]) > 65535)
    return { error: 'has an invalid port (must be 1-65535)' };
  const port = Number(m[2]);
  return port === 443 ? { host } : { host, port };
}

function normalizePortals(n: Normalizer, raw: RawPortal[] | undefined, sessionLifetime: number): PortalConfig[] {
  if (!raw || raw.length === 0) {
    n.error('portals', 'at least one portal must be defined');
    return [];
  }
  const out: PortalConfig[] = [];
  raw.forEach((p, i) => {
    const path = `portals[${i}]`;
    if (!p.name || !NAME_RE.test(p.name)) {
      n.error(
        `${path}.name`,
        `invalid portal '${p.name ?? ''}': property 'name' is invalid (2-40 characters: a letter, then letters, digits, '-', '_' or '.')`,
      );
      return;
    }
    const name = p.name.toLowerCase();
    if (out.some((o) => o.name === name)) n.error(`${path}.name`, `duplicate portal name '${name}'`);

    let authenticationTimeout = n.duration(`${path}.authenticationTimeout`, p.authenticationTimeout, 5 * MINUTE);
    if (authenticationTimeout < 1) authenticationTimeout = 5 * MINUTE;
    if (authenticationTimeout < 5000)
      n.error(`${path}.authenticationTimeout`, 'must be at least 5s', p.authenticationTimeout);

    let lifetime = n.duration(`${path}.sessionLifetime`, p.sessionLifetime, 0);
    if (lifetime <= 0) lifetime = sessionLifetime;
    else if (lifetime < MINUTE) n.error(`${path}.sessionLifetime`, 'must be at least 1m', p.sessionLifetime);

    for (const key of ['backgroundMedium', 'backgroundLarge'] as const) {
      const v = p[key];
      if (v !== undefined && !/^(https?:\/\/|\/)/.test(v))
        n.error(`${path}.${key}`, 'must be an http(s) URL or an absolute path', v);
    }

    const providers = normalizeProviders(n, path, p.providers);
    const sendsUserId = p.headers == null || p.headers.some((h) => h.claim === 'id');
    if (providers.length > 1 && sendsUserId && !p.namespaceUserIds)
      n.notices.push({
        level: 'warn',
        message: `portal '${name}' has ${providers.length} providers and sends the bare user id in an identity header (X-Forwarded-User): two providers can issue the same id for different people, and the app cannot tell them apart. Set '${path}.namespaceUserIds: true' to send '<provider>:<id>' instead (or check X-Authenticated-User, which names the provider)`,
      });

    out.push({
      name,
      displayName: p.displayName || p.name,
      alwaysShowProvidersPage: p.alwaysShowProvidersPage ?? false,
      always401: p.always401 ?? false,
      namespaceUserIds: p.namespaceUserIds ?? false,
      authenticationTimeout,
      sessionLifetime: lifetime,
      backgroundMedium: p.backgroundMedium,
      backgroundLarge: p.backgroundLarge,
      headers: normalizeHeaders(n, `${path}.headers`, p.headers),
      stripAuthCookies: p.stripAuthCookies ?? true,
      identityAssertion: normalizeIdentityAssertion(n, `${path}.identityAssertion`, p.identityAssertion),
      providers,
    });
  });
  return out;
}

/** Assertion lifetimes: long enough to outlive a slow request, short enough that a stolen one soon expires. */
const ASSERTION_LIFETIME = { min: 30_000, max: 60 * MINUTE, fallback: 5 * MINUTE };

function normalizeIdentityAssertion(
  n: Normalizer,
  path: string,
  raw: RawPortal['identityAssertion'],
): IdentityAssertionConfig | undefined {
  if (!raw) return undefined;
  const lifetime = n.duration(`${path}.lifetime`, raw.lifetime, ASSERTION_LIFETIME.fallback);
  if (lifetime < ASSERTION_LIFETIME.min || lifetime > ASSERTION_LIFETIME.max)
    n.error(`${path}.lifetime`, 'must be between 30s and 1h', raw.lifetime);
  const header = raw.header ?? 'X-Forward-Auth-Assertion';
  if (!HEADER_NAME_RE.test(header)) n.error(`${path}.header`, 'is not a valid HTTP header name', header);
  if (/^(cookie|set-cookie|host|authorization|content-.*|x-forwarded-.*)$/i.test(header))
    n.error(`${path}.header`, 'must not be a header the proxy or the app already gives a meaning to', header);
  if (raw.keyFile !== undefined && raw.keyFile.trim() === '')
    n.error(`${path}.keyFile`, 'must not be empty', raw.keyFile);
  if (raw.enabled !== true) return undefined;
  return { header: canonicalHeaderName(header), lifetime, keyFile: raw.keyFile };
}

const HEADER_PROPERTIES = ['portal.name', 'provider.name'] as const;

function normalizeHeaders(n: Normalizer, path: string, raw: RawPortal['headers']): HeaderConfig[] | undefined {
  // Absent (or YAML null) means the default headers; an empty list means none.
  if (raw === undefined || raw === null) return undefined;
  const out: HeaderConfig[] = [];
  for (const [i, h] of raw.entries()) {
    const p = `${path}[${i}]`;
    if (!h.name) {
      n.error(`${p}.name`, 'is required');
      continue;
    }
    if (!HEADER_NAME_RE.test(h.name)) {
      n.error(`${p}.name`, 'is not a valid HTTP header name', h.name);
      continue;
    }
    if ((h.claim === undefined) === (h.property === undefined)) {
      n.error(p, "must set exactly one of 'claim' or 'property'");
      continue;
    }
    const name = canonicalHeaderName(h.name);
    if (h.claim !== undefined) {
      if (h.claim === '') {
        n.error(`${p}.claim`, 'must not be empty');
        continue;
      }
      out.push({ name, source: { claim: h.claim } });
      continue;
    }
    const property = HEADER_PROPERTIES.find((x) => x === h.property);
    if (!property) {
      n.error(`${p}.property`, `must be one of ${HEADER_PROPERTIES.join(', ')}`, h.property);
      continue;
    }
    out.push({ name, source: { property } });
  }
  return out;
}

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
} as const;

function normalizeProviders(n: Normalizer, portalPath: string, raw: RawProvider[] | undefined): ProviderConfig[] {
  if (!raw || raw.length === 0) {
    n.error(`${portalPath}.providers`, 'at least one authentication provider must be configured');
    return [];
  }
  const out: ProviderConfig[] = [];
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
    if ((UNSUPPORTED_PROVIDER_TYPES as readonly string[]).includes(type)) {
      n.error(
        `${path}.${type}`,
        `provider type '${type}' is not supported yet: it reads identities from a local tailscaled socket, which AWS Lambda cannot provide`,
      );
      continue;
    }

    const provider = normalizeProvider(n, `${path}.${type}`, entry);
    if (!provider) continue;
    if (out.some((p) => p.name === provider.name)) {
      n.error(`${path}.${type}.name`, `duplicate provider name '${provider.name}' in this portal`);
      continue;
    }
    out.push(provider);
  }
  return out;
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
  type: keyof typeof PROVIDER_DEFAULTS,
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
