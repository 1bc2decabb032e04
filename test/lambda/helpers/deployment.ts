/**
 * An offline "deployment" for the built bundles: dynalite as DynamoDB, a loopback Secrets Manager, the dev OpenID
 * provider, the config asset produced by the same code as `cdk synth` (infra/aws-config.ts), and the bundles behind
 * the local AWS front doors (dev/aws-local.ts: a Function URL for verify, an HTTP API for all three). The process
 * environment is set the way the stack sets it, plus endpoint overrides, so the real AWS SDK path runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalAws, startLocalAws } from '../../../dev/aws-local.js';
import { type DemoUser, type DevIdp, startDevIdp } from '../../../dev/idp.js';
import { createTestPki, type TestPki } from '../../../dev/local-pki.js';
import { bundledConfig, loadAwsConfig } from '../../../infra/aws-config.js';
import type { Config, ProviderConfig } from '../../../shared/config/types.js';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../shared/sessions/embedded.js';
import { FakeSecretsManager } from '../../helpers/fakes/secrets-manager.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const CLIENT = { clientId: 'tfa-lambda', clientSecret: 'lambda-e2e-client-secret-8a1f0c2d9b7e' };
export const TABLE_NAME = 'tfa-lambda-test';
/** The name the stack gives the secret it creates for portal `main`, provider `pocketid`. */
export const SECRET_NAME = 'TfaServerless/ForwardAuth/main/pocketid';

export interface Deployment {
  idp: DevIdp;
  dynamo: EmbeddedDynamoDB;
  secretsManager: FakeSecretsManager;
  /** The config as bundled into the functions. */
  config: Config;
  /** The bundles behind the local Function URL and HTTP API (both HTTPS with `pki`'s certificate). */
  aws: LocalAws;
  /** The throwaway CA the front doors' certificate chains to (for clients: Traefik's SSL_CERT_FILE, undici's ca). */
  pki: TestPki;
  close(): Promise<void>;
}

export interface DeploymentOptions {
  /** Builds the raw tfa-config (as written in YAML) from the IdP issuer URL. */
  rawConfig: (issuer: string) => unknown;
  users?: Record<string, DemoUser>;
  /** Listener ports, when the config must name them (default: any free port). */
  verifyPort?: number;
  apiPort?: number;
}

/** Starts the peers and the bundles behind the local front doors. */
export async function startDeployment(opts: DeploymentOptions): Promise<Deployment> {
  const idp = await startDevIdp({
    clients: [CLIENT],
    requirePkce: true,
    // The callback lives on the virtual auth host (https://auth.example.com/...), not on loopback.
    allowRedirect: () => true,
    ...(opts.users ? { users: opts.users } : {}),
  });
  const dynamo = await startEmbeddedDynamoDB();
  const secretsManager = new FakeSecretsManager();
  await secretsManager.start();
  secretsManager.put(SECRET_NAME, CLIENT.clientSecret);

  // The config asset, exactly as the synth makes it: YAML (JSON is YAML) → shared loader + AWS rules → names of the
  // created secrets filled in.
  const dir = mkdtempSync(join(tmpdir(), 'tfa-lambda-'));
  const file = join(dir, 'tfa-config.yaml');
  writeFileSync(file, JSON.stringify(opts.rawConfig(idp.issuer)));
  const loaded = loadAwsConfig(file);
  const created = new Map<ProviderConfig, string>();
  for (const p of loaded.providers)
    if (p.credential.kind === 'createSecret')
      created.set(p.provider, `TfaServerless/ForwardAuth/${p.portal}/${p.provider.name}`);
  const config = bundledConfig(loaded.config, created);
  rmSync(dir, { recursive: true, force: true });

  // The endpoint override the SDK honours for Secrets Manager (no code path differs from AWS); startLocalAws sets the
  // stack's variables and DynamoDB's.
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManager.url;
  const pki = createTestPki('tfa local AWS test CA', ['*.example.test', '*.example.com']);
  const aws = await startLocalAws({
    root: ROOT,
    config,
    dynamoEndpoint: dynamo.endpoint,
    tableName: TABLE_NAME,
    tls: { cert: pki.serverCertPEM, key: pki.serverKeyPEM },
    ...(opts.verifyPort !== undefined ? { verifyPort: opts.verifyPort } : {}),
    ...(opts.apiPort !== undefined ? { apiPort: opts.apiPort } : {}),
  });

  return {
    idp,
    dynamo,
    secretsManager,
    config,
    aws,
    pki,
    close: async () => {
      await aws.close();
      await idp.close();
      await secretsManager.stop();
      await dynamo.close();
    },
  };
}

export function pocketIdConfig(issuer: string, extra: { sessions?: object; logs?: object; portal?: object } = {}) {
  return {
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    ...(extra.sessions ? { sessions: extra.sessions } : {}),
    ...(extra.logs ? { logs: extra.logs } : {}),
    portals: [
      { name: 'main', providers: [{ pocketID: { endpoint: issuer, clientID: CLIENT.clientId } }], ...extra.portal },
    ],
  };
}
