import { request as httpRequest } from 'node:http';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config/errors.js';
import { DEFAULT_IDENTITY_HEADERS } from '../shared/config/identity-headers.js';
import { configSearchPaths, findConfigFile, loadConfigFile } from '../shared/config/load.js';
import type { Notice } from '../shared/config/normalizer.js';
import type { Config } from '../shared/config/types.js';
import { createLogger } from '../shared/log.js';
import { checkProviders } from './check.js';
import { demoDecision } from './demo-guard.js';
import { startStandalone } from './standalone.js';

const HELP = `Usage: npm start -- [options]

Serves tfa-config.yaml (from TFA_CONFIG, ./tfa-config.yaml, ./config.yaml, ~/.traefik-forward-auth/config.yaml or
/etc/traefik-forward-auth/config.yaml). With no config file, run from a terminal and NODE_ENV not production, it
starts a DEMO with a built-in development identity provider on loopback; otherwise it exits naming the paths it
searched. Never use the demo in production.

Options:
  -c, --config <file>          config file (same as TFA_CONFIG)
      --port <n>               listen port (overrides server.port)
      --bind <addr>            listen address (overrides server.bind)
      --data-dir <dir>         keep the embedded session store on disk (overrides sessions.embeddedPath)
      --dynamodb-endpoint <u>  use a real DynamoDB endpoint instead of the embedded store
      --table <name>           DynamoDB table name (overrides sessions.tableName)
      --demo                   run the demo (loopback only) even if a config file exists or not interactive
      --demo-app-port <n>      port of the demo's protected app (default 4182)
      --demo-idp-port <n>      port of the demo's development identity provider (default 4183)
      --check                  load the config, fetch every provider's discovery document and JWKS, print one
                               OK/FAIL line per provider and exit (0: all OK, 1: a problem)
      --health                 ask the server this config (and --port/--bind) describes for GET /healthz and
                               exit 0 when it answers 204, else 1 (a container HEALTHCHECK; contacts no provider)
  -h, --help                   show this help`;

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string' },
      bind: { type: 'string' },
      'data-dir': { type: 'string' },
      'dynamodb-endpoint': { type: 'string' },
      table: { type: 'string' },
      demo: { type: 'boolean' },
      'demo-app-port': { type: 'string' },
      'demo-idp-port': { type: 'string' },
      check: { type: 'boolean' },
      health: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const env = { ...process.env, ...(values.config ? { TFA_CONFIG: values.config } : {}) };
  const found = values.demo ? undefined : findConfigFile(env, process.cwd());
  const decision = values.check
    ? 'config'
    : demoDecision({
        demoFlag: values.demo === true,
        configFile: found,
        interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
        nodeEnv: process.env.NODE_ENV,
        bind: values.bind,
        searched: configSearchPaths(process.cwd()),
      });
  if (typeof decision === 'object') throw new StartupError(decision.error);
  const file = decision === 'demo' ? undefined : found;
  const port = portFlag('--port', values.port);
  // Not 4190: it is on fetch's "bad ports" list (ManageSieve), so Node's fetch refuses it and the code exchange fails.
  const idpPort = portFlag('--demo-idp-port', values['demo-idp-port']) ?? 4183;
  const appPort = portFlag('--demo-app-port', values['demo-app-port']) ?? 4182;

  if (values.check) {
    if (!file) throw new ConfigError([{ path: '', message: '--check needs a config file (TFA_CONFIG or --config)' }]);
    const { config } = loadConfigFile(file, { env, logsToTerminal: process.stdout.isTTY === true });
    console.log(`Configuration OK: ${file}`);
    process.exitCode = (await checkProviders(config)) ? 0 : 1;
    return;
  }

  if (values.health) {
    // The demo (no config file) serves on 127.0.0.1:4181 unless --port says otherwise.
    const server = file
      ? loadConfigFile(file, { env, logsToTerminal: false }).config.server
      : { bind: '127.0.0.1', port: 4181 };
    const url = await probeHealth({ bind: values.bind ?? server.bind, port: port ?? server.port });
    console.log(url ? `healthy: ${url}` : 'unhealthy: GET /healthz did not answer 204');
    process.exitCode = url ? 0 : 1;
    return;
  }

  let config: Config;
  let notices: Notice[] = [];
  // The demo (and its oidc-provider dependency) is loaded only when it runs.
  let demo: { idpIssuer: string; appPort: number; module: typeof import('../dev/demo.js') } | undefined;
  if (file) {
    const loaded = loadConfigFile(file, { env, logsToTerminal: process.stdout.isTTY === true });
    config = loaded.config;
    const log = createLogger({ level: config.logs.level, json: config.logs.json }, { app: 'tfa-serverless' });
    log.info('Loaded configuration', { file });
    notices = loaded.notices;
  } else {
    const module = await import('../dev/demo.js');
    const idp = await listening('the demo identity provider', idpPort, '--demo-idp-port', () =>
      module.startDemoIdp(idpPort),
    );
    config = module.demoConfig(idp.issuer, port ?? 4181);
    demo = { idpIssuer: idp.issuer, appPort, module };
  }
  if (values['data-dir']) config.sessions.embeddedPath = values['data-dir'];
  if (values['dynamodb-endpoint']) config.sessions.dynamoDBEndpoint = values['dynamodb-endpoint'];
  if (values.table) config.sessions.tableName = values.table;

  const server = await listening('the auth server', port ?? config.server.port, '--port', () =>
    startStandalone({ config, notices, configDir: file ? dirname(file) : undefined, env, port, bind: values.bind }),
  );
  const log = createLogger({ level: config.logs.level, json: config.logs.json }, { app: 'tfa-serverless' });
  log.info('Server listening', {
    url: server.url,
    store:
      config.sessions.dynamoDBEndpoint ??
      (config.sessions.embeddedPath ? `embedded, on disk at ${config.sessions.embeddedPath}` : 'embedded, in memory'),
  });
  if (demo) {
    const { appPort, module } = demo;
    const app = await listening('the demo app', appPort, '--demo-app-port', () =>
      module.startDemoApp(appPort, `http://127.0.0.1:${server.port}/portals/demo`),
    );
    const appUrl = `http://localhost:${module.serverPort(app)}/`;
    printDemo(server.port, demo.idpIssuer, appUrl, module.DEMO_CLIENT.clientId);
  }

  const stop = async () => {
    log.info('Shutting down');
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function printDemo(port: number, idp: string, appUrl: string, clientId: string): void {
  const H = DEFAULT_IDENTITY_HEADERS;
  console.log(`
================================ DEMO MODE ================================
No config file was found, so this is a demo with a built-in DEVELOPMENT
identity provider that accepts any user name and password.
DO NOT USE IT IN PRODUCTION: write a tfa-config.yaml (see README.md).

  Open the protected demo app:  ${appUrl}
  (sign in as "alice" with any password; "bob" and any other name work too)

  Auth server (forward-auth):   http://localhost:${port}/portals/demo
  Your profile after login:     http://localhost:${port}/portals/demo/profile
  Demo identity provider:       ${idp}  (client id ${clientId})

Caddy snippet (Caddyfile) protecting an app on :8080 with this server:
  http://localhost:8080 {
    route {
      forward_auth 127.0.0.1:${port} {
        uri /portals/demo
        copy_headers ${H.user} ${H.displayName} ${H.summary} Cookie
      }
      # After forward_auth (hence the route): the app never gets the session cookie (docs/proxies.md, "Cookies")
      request_header Cookie "^\\{http\\.reverse_proxy\\.header\\.Cookie\\}$|(?:^|;\\s*)tf_(?:sess|state)_[^;]*" "{http.vars.tfa_none}"
      reverse_proxy 127.0.0.1:3000
    }
  }

Traefik dynamic config (YAML):
  http:
    middlewares:
      tfa:
        forwardAuth:
          address: "http://127.0.0.1:${port}/portals/demo"
          trustForwardHeader: true
          authResponseHeaders: [${H.user}, ${H.displayName}, ${H.summary}, Cookie]
===========================================================================
`);
}

/** A port from the command line, or undefined when the flag is absent. @throws StartupError when invalid */
function portFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536))
    throw new StartupError(`${flag}: '${value}' is not a port (0-65535)`);
  return port;
}

/**
 * `--health`: GET /healthz on the listening address (a wildcard bind is asked on loopback), over HTTP and then HTTPS
 * (server TLS may come from files next to the config). The certificate is not checked: this asks a local process
 * whether it is up, not who it is.
 * @returns the URL that answered 204, or undefined
 */
async function probeHealth(server: { bind: string; port: number }): Promise<string | undefined> {
  const host = server.bind === '0.0.0.0' ? '127.0.0.1' : server.bind === '::' ? '::1' : server.bind;
  const base = `${host.includes(':') ? `[${host}]` : host}:${server.port}/healthz`;
  const { request } = await import('node:https');
  const get = (url: string) =>
    new Promise<number | undefined>((resolve) => {
      const req = (url.startsWith('https:') ? request : httpRequest)(
        url,
        { rejectUnauthorized: false, timeout: 5000 },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
      req.end();
    });
  for (const url of [`http://${base}`, `https://${base}`]) if ((await get(url)) === 204) return url;
  return undefined;
}

/** A start-up problem said in one line, without a stack trace. */
class StartupError extends Error {}

/** Starts a listener, turning a busy or forbidden port into one line that names the flag to change it. */
async function listening<T>(what: string, port: number, flag: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new StartupError(
        `Port ${port} for ${what} is already in use: stop what holds it, or choose another with ${flag}`,
      );
    if (code === 'EACCES')
      throw new StartupError(
        `Port ${port} for ${what} needs privileges this process lacks: choose another with ${flag}`,
      );
    throw err;
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof StartupError) console.error(err.message);
  else console.error(`Fatal: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
