/**
 * Loads `tfa-config.yaml` for AWS: the shared loader first (so an invalid config fails `cdk synth` with exactly the
 * standalone server's messages), then the rules that only hold on AWS, reported the same way (every issue, each with
 * its key path). Also decides, per provider, where its client credential comes from.
 */
import { assertionAudience } from '../shared/assertions/audience.js';
import { ConfigError, type ConfigIssue } from '../shared/config/errors.js';
import { loadConfigFile } from '../shared/config/load.js';
import type { Notice } from '../shared/config/normalizer.js';
import type { Config, ProviderConfig } from '../shared/config/types.js';

/** Where a provider's client credential comes from on AWS. */
export type CredentialPlan =
  /** No credential in the config: the stack creates a Secrets Manager secret and the operator puts the value. */
  | { kind: 'createSecret' }
  /** `clientSecretArn`: an existing secret (name or ARN, maybe in another account, maybe with its KMS key). */
  | { kind: 'importSecret'; secretId: string; arn?: SecretArn; kmsKeyArn?: string }
  /** `clientAssertion`; for AwsWebIdentity, what the callback may ask STS for. */
  | { kind: 'assertion'; awsWebIdentity?: { audience: string; signingAlgorithm: 'ES384' | 'RS256' } };

export interface ProviderPlan {
  portal: string;
  provider: ProviderConfig;
  /** Key path of the provider in the config file, e.g. `portals[0].providers[1].pocketID`. */
  path: string;
  credential: CredentialPlan;
}

export interface AwsConfig {
  config: Config;
  notices: Notice[];
  providers: ProviderPlan[];
}

/** What the config is checked against; undefined where the stack is environment-agnostic. */
export interface DeployTarget {
  account?: string;
  region?: string;
}

export interface SecretArn {
  partition: string;
  region: string;
  account: string;
  /** Whether the ARN ends with Secrets Manager's random 6-character suffix (a "complete" ARN). */
  complete: boolean;
}

const SECRET_ARN_RE = /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)$/;

/** Parses a Secrets Manager secret ARN; undefined for a plain secret name. */
export function parseSecretArn(value: string): SecretArn | undefined {
  const m = SECRET_ARN_RE.exec(value);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return undefined;
  // The same heuristic as aws-cdk-lib's Secret.fromSecretArn: a complete ARN ends in "-" + 6 characters.
  return { partition: m[1], region: m[2], account: m[3], complete: /-[a-z0-9]{6}$/i.test(m[4]) };
}

const HOW_TO_SECRET =
  'on AWS a client secret never goes into the config (it would be bundled into the Lambda asset): ' +
  'remove it and the stack creates a Secrets Manager secret for this provider (then run the ' +
  "'aws secretsmanager put-secret-value' command printed in the stack outputs), or set 'clientSecretArn' to an " +
  "existing secret, or use 'clientAssertion: AwsWebIdentity' for no secret at all";

/**
 * Loads and validates the config for a deployment.
 * @throws ConfigError with the shared loader's messages, or with every AWS-specific issue.
 */
export function loadAwsConfig(file: string, target: DeployTarget = {}): AwsConfig {
  // The same loader as the standalone server; the only difference is that a provider may have no credential yet.
  const { config, notices } = loadConfigFile(file, { allowMissingCredential: true });
  const issues: ConfigIssue[] = [];
  const aws: Notice[] = [];
  const s = config.server;

  for (const key of ['tlsCertPEM', 'tlsKeyPEM', 'tlsPath'] as const)
    if (s[key] !== undefined)
      issues.push({
        path: `server.${key}`,
        message:
          'API Gateway and the Function URL terminate TLS on AWS: remove the server TLS settings (a private key must not be bundled into the Lambda asset)',
      });
  if (s.tlsClientAuth || s.tlsCAPEM !== undefined)
    issues.push({
      path: s.tlsClientAuth ? 'server.tlsClientAuth' : 'server.tlsCAPEM',
      message:
        'the functions never see the TLS connection on AWS: require client certificates with mutual TLS on the API Gateway custom domain (a truststore in S3) instead',
    });
  if (s.favicon !== undefined && /^https?:\/\//i.test(s.favicon))
    issues.push({
      path: 'server.favicon',
      message:
        'on AWS the favicon must be given as base64 (for example `base64 -w0 favicon.png`), not as a URL to download at every cold start',
    });
  for (const key of ['dynamoDBEndpoint', 'embeddedPath', 'tableName', 'region'] as const)
    if (config.sessions[key] !== undefined && !(key === 'tableName' && config.sessions[key] === 'tfa-sessions'))
      aws.push({ level: 'warn', message: `sessions.${key} is ignored on AWS: the stack creates and names the table` });

  if (config.metrics.enabled || config.metrics.listen)
    aws.push({
      level: 'warn',
      message: 'metrics is ignored on AWS: the functions write CloudWatch metrics (docs/aws.md, "Metrics and logs")',
    });

  for (const [i, portal] of config.portals.entries())
    if (portal.identityAssertion?.keyFile !== undefined)
      issues.push({
        path: `portals[${i}].identityAssertion.keyFile`,
        message:
          'on AWS the stack creates the identity assertion keys in SSM Parameter Store (a key file would be bundled into the Lambda asset): remove keyFile',
      });

  for (const portal of config.portals)
    if (portal.tailscaleWhois)
      issues.push({
        path: portal.tailscaleWhois.path,
        message:
          "reads identities from the local tailscaled's LocalAPI socket, which AWS Lambda cannot reach: use this portal with the standalone server (npm start)",
      });

  const providers: ProviderPlan[] = [];
  for (const [i, portal] of config.portals.entries())
    for (const [j, provider] of portal.providers.entries()) {
      const path = `portals[${i}].providers[${j}].${provider.type}`;
      const credential = planCredential(provider, path, target, issues);
      if (credential) providers.push({ portal: portal.name, provider, path, credential });
    }
  if (issues.length > 0) throw new ConfigError(issues, file);
  return { config, notices: [...notices, ...aws], providers };
}

function planCredential(
  p: ProviderConfig,
  path: string,
  target: DeployTarget,
  issues: ConfigIssue[],
): CredentialPlan | undefined {
  const spec = p.assertion;
  if (spec !== undefined) {
    if (spec.kind === 'awsWebIdentity')
      return {
        kind: 'assertion',
        awsWebIdentity: {
          // The audience the callback will request (functions/callback.ts), so that IAM allows exactly it.
          audience: spec.audience ?? assertionAudience(p),
          signingAlgorithm: spec.signingAlgorithm,
        },
      };
    if (spec.kind !== 'tsiam') {
      issues.push({
        path: `${path}.clientAssertion`,
        message: `'${p.clientAssertion}' needs an Azure or Kubernetes identity, which AWS Lambda does not have: use 'AwsWebIdentity'`,
      });
      return undefined;
    }
    return { kind: 'assertion' };
  }

  const ref = p.clientSecret;
  if (ref === undefined) return { kind: 'createSecret' };
  if (ref.kind !== 'secretsManager') {
    const key = { inline: 'clientSecret', file: 'clientSecretFile', env: 'clientSecretEnv' }[ref.kind];
    issues.push({ path: `${path}.${key}`, message: HOW_TO_SECRET });
    return undefined;
  }

  const id = ref.secretId;
  if (!id.startsWith('arn:')) return { kind: 'importSecret', secretId: id };
  const arn = parseSecretArn(id);
  if (!arn) {
    issues.push({
      path: `${path}.clientSecretArn`,
      message: `must be a secret name or a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>) (got ${JSON.stringify(id)})`,
    });
    return undefined;
  }
  if (target.region !== undefined && arn.region !== target.region)
    issues.push({
      path: `${path}.clientSecretArn`,
      message: `the secret is in ${arn.region} but the stack deploys to ${target.region}: the callback reads secrets in its own region (replicate the secret to ${target.region})`,
    });
  if (target.account !== undefined && arn.account !== target.account && ref.kmsKeyArn === undefined)
    issues.push({
      path: `${path}.clientSecretArn`,
      message: `the secret belongs to account ${arn.account}, not ${target.account}: a secret shared with another account must be encrypted with a customer managed KMS key; set 'clientSecretKmsKeyArn' to it (see docs/aws.md for both resource policies)`,
    });
  return { kind: 'importSecret', secretId: id, arn, kmsKeyArn: ref.kmsKeyArn };
}

/**
 * The config as the functions get it: created secrets referenced by name (the callback reads them by that name), and
 * nothing else changed.
 */
export function bundledConfig(config: Config, createdSecretNames: ReadonlyMap<ProviderConfig, string>): Config {
  return {
    ...config,
    portals: config.portals.map((portal) => ({
      ...portal,
      providers: portal.providers.map((p) => {
        const name = createdSecretNames.get(p);
        return name === undefined ? p : { ...p, clientSecret: { kind: 'secretsManager' as const, secretId: name } };
      }),
    })),
  };
}
