/**
 * `npm run start:aws`: the built Lambda bundles (dist/, `npm run build`) behind a local Function URL (verify) and a
 * local HTTP API (verify, login, callback) that build payload 2.0 events the way AWS does (dev/aws-front-door.ts),
 * with the embedded DynamoDB store. For trying a Lambda build with your own Traefik before deploying.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLocalAws } from '../dev/aws-local.js';
import { createTestPki } from '../dev/local-pki.js';
import { loadAwsConfig } from '../infra/aws-config.js';
import { ConfigError } from '../shared/config/errors.js';
import { findConfigFile, loadConfigFile } from '../shared/config/load.js';
import { startEmbeddedDynamoDB } from '../shared/sessions/embedded.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const HELP = `Usage: npm run start:aws -- [options]

Serves the built Lambda bundles (run npm run build first) as the ForwardAuth stack deploys them: verify behind a
local Lambda Function URL, all three functions behind a local API Gateway HTTP API, both over HTTPS, building
payload 2.0 events as AWS does (lower-case headers, cookies[], X-Forwarded-For appended, -Proto/-Port set to
https/443, a foreign Host refused with 403, the HTTP API's 10,240-byte header limit). Sessions live in the embedded
DynamoDB-compatible store. Point Traefik's forwardAuth address at the Function URL printed below.

The config is tfa-config.yaml (from TFA_CONFIG or the same places as npm start), bundled as cdk synth does. Locally
a provider's secret may come from clientSecretFile or clientSecretEnv; cdk synth refuses those (a warning says so).

Options:
  -c, --config <file>     config file (same as TFA_CONFIG)
      --verify-port <n>   Function URL listener port (default 9443)
      --api-port <n>      HTTP API listener port (default 8443)
      --bind <addr>       listen address (default 127.0.0.1)
      --tls-cert <file>   PEM certificate for both listeners (with --tls-key); default: a throwaway CA and a
      --tls-key <file>    certificate for localhost, 127.0.0.1 and your authHosts, valid 7 days
      --data-dir <dir>    keep the embedded session store on disk
  -h, --help              show this help`;

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag}: invalid port '${value}'`);
  return n;
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      'verify-port': { type: 'string' },
      'api-port': { type: 'string' },
      bind: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  for (const fn of ['verify', 'login', 'callback'])
    if (!existsSync(join(ROOT, 'dist', fn, 'index.mjs')))
      throw new Error(`dist/${fn}/index.mjs is missing: run npm run build first`);
  const env = { ...process.env, ...(values.config ? { TFA_CONFIG: values.config } : {}) };
  const file = findConfigFile(env, process.cwd());
  if (!file) throw new Error('no tfa-config.yaml found: pass --config <file> (see docs/config.md)');
  const { config, notices } = loadConfigFile(file, { env });
  for (const n of notices) console.error(`${n.level}: ${n.message}`);
  try {
    loadAwsConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`warning: cdk synth would refuse this config as it is:\n${err.message}`);
  }

  let tls: { cert: string; key: string };
  let caFile: string | undefined;
  if (values['tls-cert'] || values['tls-key']) {
    if (!values['tls-cert'] || !values['tls-key']) throw new Error('--tls-cert and --tls-key go together');
    tls = { cert: readFileSync(values['tls-cert'], 'utf8'), key: readFileSync(values['tls-key'], 'utf8') };
  } else {
    const names = config.server.domains.flatMap((d) => (d.authHost ? [d.authHost.replace(/:\d+$/, '')] : []));
    const pki = createTestPki('tfa-serverless start:aws local CA', [...new Set(names)], 7);
    const dir = values['data-dir'] ? resolve(values['data-dir']) : mkdtempSync(join(tmpdir(), 'tfa-start-aws-'));
    mkdirSync(dir, { recursive: true });
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, pki.caPEM);
    tls = { cert: pki.serverCertPEM, key: pki.serverKeyPEM };
  }

  const dynamo = await startEmbeddedDynamoDB(values['data-dir'] ? resolve(values['data-dir'], 'sessions') : undefined);
  const aws = await startLocalAws({
    root: ROOT,
    config,
    dynamoEndpoint: dynamo.endpoint,
    tableName: 'tfa-sessions',
    tls,
    verifyPort: port(values['verify-port'], 9443, '--verify-port'),
    apiPort: port(values['api-port'], 8443, '--api-port'),
    ...(values.bind ? { bind: values.bind } : {}),
  });
  const bp = config.server.basePath;
  const domains = config.server.domains.flatMap((d) => (d.authHost ? [d.authHost] : []));
  console.log(`Local AWS front doors for ${file} (bundles from dist/):
  Function URL (verify)   ${aws.functionUrl.url}  — the event's host: ${aws.functionUrlHost}
  HTTP API (all three)    ${aws.httpApi.url}  — custom domains: ${domains.join(', ') || 'none'}
Traefik forwardAuth address(es):
${config.portals.map((p) => `  ${aws.functionUrl.url}${bp}/portals/${p.name}`).join('\n')}
${caFile ? `Certificates chain to a throwaway CA: ${caFile}\n  Traefik (Go) trusts it with SSL_CERT_FILE=${caFile}; browsers must trust it or be told to ignore it.\n` : ''}Browsers reach the HTTP API on your authHost (point it at this machine, e.g. in /etc/hosts, with port ${aws.httpApi.port}).
Ctrl-C stops.`);
  const stop = async () => {
    await aws.close();
    await dynamo.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
