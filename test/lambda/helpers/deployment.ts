/**
 * An offline "deployment" for the built bundles: dynalite as DynamoDB, a loopback Secrets Manager, the dev OpenID
 * provider, and the config asset produced by the same code as `cdk synth` (infra/aws-config.ts). The process
 * environment is set the way the stack sets it, plus endpoint overrides, so the real AWS SDK path runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DemoUser, type DevIdp, startDevIdp } from '../../../dev/idp.js';
import { CONFIG_ASSET_FILE, ENV, serializeConfigAsset } from '../../../functions/config-asset.js';
import { bundledConfig, loadAwsConfig } from '../../../infra/aws-config.js';
import type { Config, ProviderConfig } from '../../../shared/config/types.js';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../shared/sessions/embedded.js';
import { ensureTable } from '../../../shared/sessions/ensure-table.js';
import { FakeSecretsManager } from '../../helpers/fakes/secrets-manager.js';

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
  close(): Promise<void>;
}

export interface DeploymentOptions {
  /** Builds the raw tfa-config (as written in YAML) from the IdP issuer URL. */
  rawConfig: (issuer: string) => unknown;
  users?: Record<string, DemoUser>;
}

/** Starts the peers, writes the config asset and sets the environment. Import the bundles afterwards. */
export async function startDeployment(opts: DeploymentOptions): Promise<Deployment> {
  const idp = await startDevIdp({
    clients: [CLIENT],
    requirePkce: true,
    // The callback lives on the virtual auth host (https://auth.example.com/...), not on loopback.
    allowRedirect: () => true,
    ...(opts.users ? { users: opts.users } : {}),
  });
  const dynamo = await startEmbeddedDynamoDB();
  await ensureTable(
    new DynamoDBClient({ endpoint: dynamo.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    TABLE_NAME,
  );
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
  const configPath = join(dir, CONFIG_ASSET_FILE);
  writeFileSync(configPath, serializeConfigAsset(config));

  // What the stack sets, plus the endpoint overrides the SDK honours (no code path differs from AWS).
  process.env[ENV.tableName] = TABLE_NAME;
  process.env[ENV.configPath] = configPath;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManager.url;

  return {
    idp,
    dynamo,
    secretsManager,
    config,
    close: async () => {
      await idp.close();
      await secretsManager.stop();
      await dynamo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One portal `main` on example.com (auth host auth.example.com) with one Pocket ID provider and no secret in it. */
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
