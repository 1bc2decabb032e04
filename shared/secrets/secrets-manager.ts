import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;

/** Reads a secret string (by name or ARN, including another account's ARN). The client is created once. */
export async function fetchSecretString(secretId: string, region?: string): Promise<string> {
  client ??= new SecretsManagerClient(region ? { region } : {});
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (out.SecretString !== undefined) return out.SecretString;
  if (out.SecretBinary) return Buffer.from(out.SecretBinary).toString('utf8');
  throw new Error(`secret '${secretId}' has no value`);
}
