import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { getRequestListener } from '@hono/node-server';
import { type App, createApp, type FinishedRequest, requestRecorder } from '../shared/app/base.js';
import { registerCallbackRoutes } from '../shared/app/callback-routes.js';
import { registerLoginRoutes } from '../shared/app/login-routes.js';
import { portalPages } from '../shared/app/portal-pages.js';
import { registerVerifyRoutes } from '../shared/app/verify-routes.js';
import { ConditionCache } from '../shared/conditions/conditions.js';
import { validateCaPem } from '../shared/config/ca-pem.js';
import { providerCallbacks } from '../shared/config/callback-urls.js';
import { ConfigError } from '../shared/config/errors.js';
import type { Notice } from '../shared/config/normalizer.js';
import type { Config, TailscaleWhoisConfig } from '../shared/config/types.js';
import { standaloneAssertions } from '../shared/identity/standalone-keys.js';
import { createLogger, type Logger } from '../shared/log.js';
import { decodeFaviconBase64, detectFaviconType, type Favicon } from '../shared/portal/favicon.js';
import { providerDeps } from '../shared/providers/deps.js';
import type { ProviderRegistry } from '../shared/providers/provider.js';
import { buildProviderRegistry } from '../shared/providers/registry.js';
import { createTailscaleWhois, type TailscaleWhois } from '../shared/providers/tailscale-whois.js';
import type { CoreDeps } from '../shared/routes/context.js';
import { signedInPage } from '../shared/routes/signed-in-page.js';
import { createFastVerify } from '../shared/routes/verify-fast.js';
import { SecretResolver } from '../shared/secrets/resolver.js';
import { CachedSessionStore } from '../shared/sessions/cache.js';
import { DynamoStore, dynamoClientOptions } from '../shared/sessions/dynamodb.js';
import { startEmbeddedDynamoDB } from '../shared/sessions/embedded.js';
import { ensureTable } from '../shared/sessions/ensure-table.js';
import type { BackchannelStore, StateStore } from '../shared/sessions/types.js';
import { ByteHeaderResponse } from './byte-headers.js';
import { fastListener } from './fast-listener.js';

export interface StandaloneOptions {
  config: Config;
  /**
   * The notices config validation returned (`loadConfigFile`/`validateConfig`): deprecations and warnings such as a
   * provider's `tlsInsecureSkipVerify`. Logged at start with `log`.
   */
  notices?: readonly Notice[];
  /** Directory of the config file (default for `server.tlsPath`). */
  configDir?: string;
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** Overrides `server.port` (tests pass 0). */
  port?: number;
  /** Overrides `server.bind`. */
  bind?: string;
  now?: () => number;
  /**
   * Replaces the network for every provider's back-channel calls. Tests only: it routes the fixed public endpoints of
   * Google, Entra ID and GitHub to loopback fakes (see `ProviderDeps.fetch`).
   */
  providerFetch?: typeof fetch;
  /** Each DynamoDB request's timeout, in ms (`dynamoClientOptions`). @default 1000; fault tests shorten it */
  dynamoTimeoutMs?: number;
  /** Answer signed-in checks on the verify fast path. @default true; tests compare both */
  fastPath?: boolean;
  /** Overrides `metrics.port` (tests pass 0). */
  metricsPort?: number;
}

export interface Standalone {
  url: string;
  port: number;
  app: App;
  sessions: CachedSessionStore;
  /** Where `GET /metrics` answers, when `metrics.enabled`. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/**
 * The standalone server: every route in one Node process, sessions in the embedded DynamoDB-compatible store
 * (dynalite; in memory, or on disk with `sessions.embeddedPath`) or in a real DynamoDB (`sessions.dynamoDBEndpoint`).
 */
export async function startStandalone(opts: StandaloneOptions): Promise<Standalone> {
  const { config } = opts;
  const env = opts.env ?? {};
  const log = opts.log ?? createLogger({ level: config.logs.level, json: config.logs.json }, { app: 'tfa-serverless' });
  const now = opts.now ?? Date.now;
  for (const n of opts.notices ?? []) log[n.level](n.message);
  // prom-client is loaded only when metrics are on.
  const metrics = config.metrics.enabled ? new (await import('./metrics.js')).StandaloneMetrics(config) : undefined;
  // Before anything starts: a bad explicit tlsPath is fatal.
  const tls = serverTls(config, log, opts.configDir);

  // Sessions: the embedded store unless a real endpoint is configured.
  const embedded = config.sessions.dynamoDBEndpoint
    ? undefined
    : await startEmbeddedDynamoDB(config.sessions.embeddedPath);
  const dynamo = new DynamoDBClient({
    ...dynamoClientOptions(opts.dynamoTimeoutMs),
    endpoint: config.sessions.dynamoDBEndpoint ?? embedded?.endpoint,
    region: config.sessions.region ?? env.AWS_REGION ?? 'us-east-1',
    // The embedded store ignores credentials; a real endpoint uses the default AWS credential chain.
    ...(embedded ? { credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' } } : {}),
  });
  metrics?.instrument(dynamo);
  if (await ensureTable(dynamo, config.sessions.tableName))
    log.info('Created sessions table', { table: config.sessions.tableName });
  const store = new DynamoStore(dynamo, config.sessions.tableName);
  const sessions = new CachedSessionStore(store, {
    ttl: config.sessions.verifyCacheTTL,
    max: config.sessions.verifyCacheSize,
    onLookup: metrics?.cacheLookup,
  });

  // Providers: secrets and assertions are resolved lazily at the first code exchange.
  const secrets = new SecretResolver({
    env,
    secretsManager: lazySecretsManager(config.sessions.region ?? env.AWS_REGION),
  });
  const providers = buildProviderRegistry(config, providerDeps(env, secrets, opts.providerFetch));

  const deps = { config, log, now };
  const app = await standaloneApp(deps, {
    sessions,
    store,
    providers,
    clientCertificates: tls?.ca !== undefined,
    observe: metrics?.observe,
  });

  // Signed-in checks on the fast path, everything else through node-server, whose lighter Request/Response globals
  // skip undici object construction.
  const listener =
    opts.fastPath === false
      ? getRequestListener(app.fetch, { overrideGlobalObjects: true })
      : fastListener({
          fetch: app.fetch,
          fast: createFastVerify({ ...deps, sessions }),
          record: requestRecorder(deps, { observe: metrics?.observe }),
          trustedRequestIdHeader: config.server.trustedRequestIdHeader,
          tls: tls !== undefined,
          ...(tls?.ca ? { clientCertificate: (req) => verifiedSocket(req.socket) } : {}),
        });
  // `/metrics` on this listener unless it has one of its own (`metrics.port`).
  const serveMetrics = (req: IncomingMessage, res: ServerResponse) => {
    metrics?.serve(req, res).catch((err: unknown) => {
      log.error('Failed request', { path: '/metrics', err });
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
  const withMetrics =
    metrics && !config.metrics.listen
      ? (req: IncomingMessage, res: ServerResponse) =>
          req.url === '/metrics' ? serveMetrics(req, res) : listener(req, res)
      : listener;
  // ByteHeaderResponse: identity headers leave as the UTF-8 bytes they carry, whatever the body's type.
  const server: Server = tls
    ? createHttpsServer(
        {
          cert: tls.cert,
          key: tls.key,
          minVersion: 'TLSv1.2',
          ServerResponse: ByteHeaderResponse,
          // `tlsClientAuth`, as upstream's "verify if given": every client is asked for a certificate, a browser
          // without one still reaches the sign-in pages, and only the forward-auth check insists on one.
          ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: false } : {}),
        },
        withMetrics,
      )
    : createHttpServer({ ServerResponse: ByteHeaderResponse }, withMetrics);
  // A certificate that was given but does not verify ends the connection (upstream fails the handshake): nothing is
  // served to a client that claims an identity we cannot check.
  if (tls?.ca)
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.authorized || Object.keys(socket.getPeerCertificate()).length === 0) return;
      log.warn('Refused a client certificate that does not verify against the tlsClientAuth CA', {
        reason: String(socket.authorizationError),
        remote: socket.remoteAddress,
      });
      socket.destroy();
    });
  await listen(server, opts.port ?? config.server.port, opts.bind ?? config.server.bind);
  let metricsServer: Server | undefined;
  let metricsUrl: string | undefined;
  if (metrics && config.metrics.listen) {
    const { bind, port } = config.metrics.listen;
    metricsServer = createHttpServer((req, res) =>
      (req.url ?? '').split('?')[0] === '/metrics'
        ? serveMetrics(req, res)
        : res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found'),
    );
    try {
      await listen(metricsServer, opts.metricsPort ?? port, bind);
    } catch (err) {
      await closeServer(server);
      throw err;
    }
    const actual = (metricsServer.address() as AddressInfo).port;
    metricsUrl = `http://${bind.includes(':') ? `[${bind}]` : bind}:${actual}/metrics`;
  }
  const { port } = server.address() as AddressInfo;
  // The redirect URI a provider rejects as unregistered is the commonest first-login failure: say it up front.
  for (const cb of providerCallbacks(config)) {
    for (const url of cb.urls)
      log.info(`Register this callback URL at ${cb.displayName}`, { url, portal: cb.portal, provider: cb.provider });
    // RP-initiated logout comes back here; providers refuse an unregistered post_logout_redirect_uri.
    for (const url of cb.postLogoutUrls)
      log.info(`Register this post-logout redirect URL at ${cb.displayName}`, {
        url,
        portal: cb.portal,
        provider: cb.provider,
      });
    for (const url of cb.backchannelLogoutUrls)
      log.info(`Register this back-channel logout URL at ${cb.displayName}`, {
        url,
        portal: cb.portal,
        provider: cb.provider,
      });
  }
  const host = (opts.bind ?? config.server.bind) === '0.0.0.0' ? '127.0.0.1' : (opts.bind ?? config.server.bind);
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (metrics) {
    metricsUrl ??= `${url}/metrics`;
    log.info('Serving Prometheus metrics', { url: metricsUrl });
  }

  return {
    url,
    port,
    app,
    sessions,
    metricsUrl,
    close: async () => {
      await closeServer(server);
      if (metricsServer) await closeServer(metricsServer);
      dynamo.destroy();
      await embedded?.close();
    },
  };
}

/**
 * The LocalAPI client when a portal has `tailscaleWhois`, its answers cached as long as session lookups. A missing
 * socket is only a warning: tailscaled may start after us, and the checks answer 502 until it does.
 */
async function tailscaleWhois(config: Config, log: Logger): Promise<{ tailscale?: TailscaleWhois }> {
  const portals = config.portals.filter((p) => p.tailscaleWhois);
  if (portals.length === 0) return {};
  for (const p of portals) {
    const ts = p.tailscaleWhois as TailscaleWhoisConfig;
    const found = await stat(ts.socketPath).then(
      (s) => s.isSocket(),
      () => false,
    );
    if (!found)
      log.warn(`${ts.path}: no tailscaled LocalAPI socket at ${ts.socketPath} yet; checks answer 502 until there is`, {
        portal: p.name,
      });
  }
  return {
    tailscale: createTailscaleWhois({ ttl: config.sessions.verifyCacheTTL, max: config.sessions.verifyCacheSize }),
  };
}

/**
 * Every route of the standalone server on one app, without a listener: `startStandalone` serves it, and the fuzz tests
 * drive it in process (`app.request`).
 */
export async function standaloneApp(
  deps: CoreDeps,
  parts: {
    sessions: CachedSessionStore;
    store: StateStore & BackchannelStore;
    providers: ProviderRegistry;
    /** `server.tlsClientAuth` is on: the check reads the verified client certificate of the connection. */
    clientCertificates?: boolean;
    /** Every finished request, for the Prometheus metrics. */
    observe?: (r: FinishedRequest) => void;
  },
): Promise<App> {
  const pages = portalPages(deps, await loadFavicon(deps.config.server.favicon));
  const app = createApp(deps, { errorPage: pages.errorPage, observe: parts.observe });
  const pageDeps = { ...deps, sessions: parts.sessions, authenticatedPage: pages.authenticatedPage };
  registerVerifyRoutes(app, {
    ...(parts.clientCertificates ? { clientCertificate: verifiedClient } : {}),
    ...(await tailscaleWhois(deps.config, deps.log)),
    ...deps,
    sessions: parts.sessions,
    conditions: new ConditionCache(),
    assertions: await standaloneAssertions(deps.config, deps.log),
    // `GET P?html=1`: the same signed-in page (with the session list) as the login function's `P/authenticated`.
    authenticatedPage: (pr, session, name) => signedInPage(pageDeps, pr, session, name),
  });
  registerLoginRoutes(app, {
    ...deps,
    sessions: parts.sessions,
    states: parts.store,
    providers: parts.providers,
    signinPage: pages.signinPage,
    authenticatedPage: pages.authenticatedPage,
    staticAssets: pages.staticAssets,
  });
  registerCallbackRoutes(app, {
    ...deps,
    sessions: parts.sessions,
    states: parts.store,
    backchannel: parts.store,
    providers: parts.providers,
  });

  return app;
}

function listen(server: Server, port: number, bind: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Secrets Manager is loaded only if a provider actually uses `clientSecretArn`. */
function lazySecretsManager(region: string | undefined) {
  return async (secretId: string) => {
    const { fetchSecretString } = await import('../shared/secrets/secrets-manager.js');
    return fetchSecretString(secretId, region);
  };
}

/**
 * Server TLS from inline PEMs or `tls-cert.pem`/`tls-key.pem` in `tlsPath` (default: the config's folder), and with
 * `tlsClientAuth` the CA of client certificates (`tlsCAPEM` or `tls-ca.pem` there). An explicit `tlsPath` whose files
 * cannot be read is fatal (serving plain HTTP instead would put cookies and codes on the wire in clear); the implicit
 * default only logs that TLS is off.
 * @throws ConfigError at `server.tlsPath`, or when `tlsClientAuth` is on without HTTPS or without a readable, valid
 *   CA: upstream serves plain HTTP silently then, which would leave the check open to anyone who can reach the port.
 */
function serverTls(
  config: Config,
  log: Logger,
  configDir?: string,
): { cert: string; key: string; ca?: string } | undefined {
  const s = config.server;
  const dir = s.tlsPath ?? configDir;
  let tls: { cert: string; key: string } | undefined;
  if (s.tlsCertPEM && s.tlsKeyPEM) tls = { cert: s.tlsCertPEM, key: s.tlsKeyPEM };
  else if (dir) {
    const read = (name: string) => {
      try {
        return { text: readFileSync(join(dir, name), 'utf8') };
      } catch (err) {
        return { error: `${join(dir, name)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
      }
    };
    const [cert, key] = [read('tls-cert.pem'), read('tls-key.pem')];
    if (cert.text !== undefined && key.text !== undefined) tls = { cert: cert.text, key: key.text };
    else if (s.tlsPath !== undefined) {
      const missing = [cert.error, key.error].filter((e) => e !== undefined).join(', ');
      throw new ConfigError([
        { path: 'server.tlsPath', message: `cannot read the TLS certificate or key (${missing})` },
      ]);
    }
  }
  if (!tls && !s.tlsClientAuth)
    log.info('TLS is off: serving plain HTTP (set server.tlsPath, or tlsCertPEM and tlsKeyPEM, for HTTPS)', {
      ...(dir ? { searched: dir } : {}),
    });
  if (!s.tlsClientAuth) return tls;
  const fail = (path: string, message: string) => new ConfigError([{ path, message }]);
  if (!tls)
    throw fail(
      'server.tlsClientAuth',
      `needs the server to serve HTTPS: set server.tlsCertPEM and server.tlsKeyPEM, or put tls-cert.pem and tls-key.pem in ${dir ?? 'server.tlsPath'}`,
    );
  if (s.tlsCAPEM !== undefined) return { ...tls, ca: s.tlsCAPEM };
  if (!dir)
    throw fail(
      'server.tlsClientAuth',
      'needs the CA of the client certificates: set server.tlsCAPEM or server.tlsPath',
    );
  const file = join(dir, 'tls-ca.pem');
  let ca: string;
  try {
    ca = readFileSync(file, 'utf8');
  } catch (err) {
    throw fail(
      'server.tlsClientAuth',
      `needs the CA of the client certificates: set server.tlsCAPEM, or put tls-ca.pem in ${dir} (cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const problem = validateCaPem(ca);
  if (problem) throw fail('server.tlsClientAuth', `${file} ${problem}`);
  return { ...tls, ca };
}

/** Whether the request came on a TLS connection whose client certificate verified against the CA. */
function verifiedSocket(socket: unknown): boolean {
  return socket instanceof TLSSocket && socket.authorized;
}

/** The same, from the bindings @hono/node-server gives the app (`env.incoming` is Node's request). */
function verifiedClient(env: unknown): boolean {
  return verifiedSocket((env as { incoming?: { socket?: unknown } } | undefined)?.incoming?.socket);
}

/** `server.favicon`: base64 or an http(s) URL downloaded once at start-up (15 s, at most 2 MB). */
async function loadFavicon(value: string | undefined): Promise<Favicon | undefined> {
  if (!value) return undefined;
  let body: Uint8Array | undefined;
  if (/^https?:\/\//i.test(value)) {
    const res = await fetch(value, { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`server.favicon: download failed with status ${res.status}`);
    const buf = new Uint8Array(await res.arrayBuffer());
    if (buf.length > 2 * 1024 * 1024) throw new Error('server.favicon: the image is larger than 2 MB');
    body = buf;
  } else {
    body = decodeFaviconBase64(value);
    if (!body) throw new Error('server.favicon: not a valid base64 string or http(s) URL');
  }
  const type = detectFaviconType(body);
  if (!type) throw new Error('server.favicon: the image must be a PNG, ICO or SVG');
  return { type, body };
}
