import { isIP } from 'node:net';
import { validateCaPem } from './ca-pem.js';
import { formatDuration } from './duration.js';
import type { ConfigIssue } from './errors.js';
import { canonicalHeaderName, HEADER_NAME_RE, isHostname, NAME_RE } from './names.js';
import { normalizeProviders } from './normalize-providers.js';
import { MINUTE, type NormalizeOptions, Normalizer, type Notice } from './normalizer.js';
import type { RawConfig, RawPortal } from './schema.js';
import type { Config, DomainConfig, HeaderConfig, IdentityAssertionConfig, LogLevel, PortalConfig } from './types.js';

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

  // The CA file in `tlsPath` is read at start (bin/standalone.ts), where the config file's folder is known.
  if (server.tlsCAPEM !== undefined) {
    const problem = validateCaPem(server.tlsCAPEM);
    if (problem) n.error('server.tlsCAPEM', problem);
  }
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

  const metrics = raw.metrics ?? {};
  if (metrics.port !== undefined && !(metrics.port >= 1 && metrics.port <= 65535))
    n.error('metrics.port', 'must be between 1 and 65535', metrics.port);
  if (metrics.bind !== undefined && metrics.port === undefined)
    n.error('metrics.bind', "needs 'metrics.port': without it, /metrics is served on the server's own listener");
  if (
    metrics.port !== undefined &&
    metrics.port === port &&
    (metrics.bind ?? '127.0.0.1') === (server.bind ?? '0.0.0.0')
  )
    n.error('metrics.port', "is the server's own port: leave it out to serve /metrics there", metrics.port);

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
    metrics: {
      enabled: metrics.enabled ?? false,
      ...(metrics.port === undefined ? {} : { listen: { bind: metrics.bind ?? '127.0.0.1', port: metrics.port } }),
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
    // An IP literal may be listed (matched exactly, host-only cookies): with domains set, an unlisted IP host is
    // refused, so serving one is a decision the config states.
    const ip = e.path === 'cookies.domain' ? undefined : ipLiteral(e.domain);
    if (ip) {
      if (e.authHost !== undefined || e.authPort !== undefined) {
        n.error(
          e.authHost !== undefined ? `${e.path}.authHost` : `${e.path}.authPort`,
          'cannot be set for an IP address domain (the auth server is reached at that address)',
          e.authHost ?? e.authPort,
        );
        continue;
      }
      if (!out.some((d) => d.domain === ip)) out.push({ domain: ip, authHost: isIP(ip) === 6 ? `[${ip}]` : ip });
      continue;
    }
    const domain = stripHost(e.domain);
    if (!isHostname(domain)) {
      n.error(
        domainPath,
        e.path === 'cookies.domain'
          ? 'must be a valid host name (not an IP address)'
          : 'must be a valid host name or IP address',
        e.domain,
      );
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

/** `10.0.0.1`, `::1` or `[::1]` (lower-cased, brackets dropped), else undefined. */
function ipLiteral(value: string): string | undefined {
  const v = value
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return isIP(v) !== 0 ? v : undefined;
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
    const { sessionMaxLifetime, revalidateInterval } = normalizeRenewal(n, path, p, lifetime);

    for (const key of ['backgroundMedium', 'backgroundLarge'] as const) {
      const v = p[key];
      if (v !== undefined && !/^(https?:\/\/|\/)/.test(v))
        n.error(`${path}.${key}`, 'must be an http(s) URL or an absolute path', v);
    }

    const { providers, tailscaleWhois } = normalizeProviders(n, path, p.providers);
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
      ...(sessionMaxLifetime !== undefined ? { sessionMaxLifetime } : {}),
      ...(revalidateInterval !== undefined ? { revalidateInterval } : {}),
      backgroundMedium: p.backgroundMedium,
      backgroundLarge: p.backgroundLarge,
      headers: normalizeHeaders(n, `${path}.headers`, p.headers),
      stripAuthCookies: p.stripAuthCookies ?? true,
      explainDenials: p.explainDenials ?? false,
      identityAssertion: normalizeIdentityAssertion(n, `${path}.identityAssertion`, p.identityAssertion),
      providers,
      ...(tailscaleWhois ? { tailscaleWhois } : {}),
    });
  });
  return out;
}

/**
 * `sessionMaxLifetime` and `revalidateInterval` (docs/sessions.md): absent or `0` = off. The cap must leave room for
 * at least the first lifetime; a re-validation needs a provider round trip, so not more often than every 30s.
 */
function normalizeRenewal(
  n: Normalizer,
  path: string,
  p: RawPortal,
  lifetime: number,
): { sessionMaxLifetime?: number; revalidateInterval?: number } {
  const out: { sessionMaxLifetime?: number; revalidateInterval?: number } = {};
  const max = n.duration(`${path}.sessionMaxLifetime`, p.sessionMaxLifetime, 0);
  if (max < 0)
    n.error(`${path}.sessionMaxLifetime`, 'must not be negative (0 or absent turns it off)', p.sessionMaxLifetime);
  else if (max > 0 && max < lifetime)
    n.error(
      `${path}.sessionMaxLifetime`,
      `must be at least the portal's sessionLifetime (${formatDuration(lifetime)})`,
      p.sessionMaxLifetime,
    );
  else if (max > 0) out.sessionMaxLifetime = max;
  const interval = n.duration(`${path}.revalidateInterval`, p.revalidateInterval, 0);
  if (interval < 0)
    n.error(`${path}.revalidateInterval`, 'must not be negative (0 or absent turns it off)', p.revalidateInterval);
  else if (interval > 0 && interval < 30_000)
    n.error(`${path}.revalidateInterval`, 'must be at least 30s', p.revalidateInterval);
  else if (interval > 0) out.revalidateInterval = interval;
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
