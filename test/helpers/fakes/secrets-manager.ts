import { randomBytes } from 'node:crypto';
import { type FakeReply, HttpFake, jsonReply, type RecordedRequest } from './http-fake.js';

const ACCOUNT = '123456789012';

interface StoredSecret {
  name: string;
  arn: string;
  value: string;
  versionId: string;
  createdDate: number;
}

/**
 * A fake AWS Secrets Manager speaking what `@aws-sdk/client-secrets-manager` sends: the **AWS JSON 1.1 protocol** —
 * `POST /` with `X-Amz-Target: secretsmanager.<Operation>` and `Content-Type: application/x-amz-json-1.1`, answered
 * in the same content type; errors are 400 with `{"__type": "<Exception>", "message": …}`. It implements
 * GetSecretValue (by name, complete ARN or partial ARN), CreateSecret and PutSecretValue.
 *
 * Point the SDK at it with `AWS_ENDPOINT_URL_SECRETS_MANAGER=<url>` (or `endpoint`); it does not check signatures.
 */
export class FakeSecretsManager extends HttpFake {
  /** Region used in the ARNs it hands out. */
  region = 'us-east-1';
  private readonly secrets = new Map<string, StoredSecret>();

  /** Stores a secret (as CreateSecret would) and returns its complete ARN. */
  put(name: string, value: string): string {
    const existing = this.secrets.get(name);
    const arn =
      existing?.arn ??
      `arn:aws:secretsmanager:${this.region}:${ACCOUNT}:secret:${name}-${randomBytes(3).toString('hex')}`;
    this.secrets.set(name, {
      name,
      arn,
      value,
      versionId: crypto.randomUUID(),
      createdDate: existing?.createdDate ?? Math.floor(Date.now() / 1000),
    });
    return arn;
  }

  /** GetSecretValue calls received, by the SecretId each asked for. */
  get reads(): string[] {
    return this.requests
      .filter((r) => r.headers['x-amz-target'] === 'secretsmanager.GetSecretValue')
      .map((r) => String((JSON.parse(r.body) as { SecretId?: unknown }).SecretId));
  }

  protected override isTokenRequest(req: RecordedRequest): boolean {
    return req.headers['x-amz-target'] === 'secretsmanager.GetSecretValue';
  }

  protected handle(req: RecordedRequest): FakeReply {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith('secretsmanager.'))
      return FakeSecretsManager.error('UnknownOperationException', `unsupported request ${req.method} ${target}`);
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1'))
      return FakeSecretsManager.error('SerializationException', 'expected application/x-amz-json-1.1');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.body || '{}') as Record<string, unknown>;
    } catch {
      return FakeSecretsManager.error('SerializationException', 'body is not JSON');
    }
    switch (target) {
      case 'secretsmanager.GetSecretValue': {
        const s = this.find(String(body.SecretId ?? ''));
        if (!s)
          return FakeSecretsManager.error(
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret.",
          );
        return reply({
          ARN: s.arn,
          Name: s.name,
          VersionId: s.versionId,
          SecretString: s.value,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: s.createdDate,
        });
      }
      case 'secretsmanager.CreateSecret': {
        const name = String(body.Name ?? '');
        if (this.secrets.has(name))
          return FakeSecretsManager.error(
            'ResourceExistsException',
            `The operation failed because the secret ${name} already exists.`,
          );
        const arn = this.put(name, String(body.SecretString ?? ''));
        return reply({ ARN: arn, Name: name, VersionId: this.secrets.get(name)?.versionId });
      }
      case 'secretsmanager.PutSecretValue': {
        const s = this.find(String(body.SecretId ?? ''));
        if (!s)
          return FakeSecretsManager.error(
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret.",
          );
        this.put(s.name, String(body.SecretString ?? ''));
        return reply({
          ARN: s.arn,
          Name: s.name,
          VersionId: this.secrets.get(s.name)?.versionId,
          VersionStages: ['AWSCURRENT'],
        });
      }
      default:
        return FakeSecretsManager.error('UnknownOperationException', `unsupported operation ${target}`);
    }
  }

  /** A Secrets Manager error reply (JSON 1.1 protocol). */
  static error(type: string, message: string): FakeReply {
    return {
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': crypto.randomUUID() },
      body: JSON.stringify({ __type: type, message }),
    };
  }

  /** By name, complete ARN, or partial ARN (without the random suffix), as Secrets Manager resolves SecretId. */
  private find(id: string): StoredSecret | undefined {
    const byName = this.secrets.get(id);
    if (byName) return byName;
    for (const s of this.secrets.values()) if (s.arn === id || s.arn.slice(0, -7) === id) return s;
    return undefined;
  }
}

function reply(body: unknown): FakeReply {
  return { ...jsonReply(200, body), headers: { 'content-type': 'application/x-amz-json-1.1' } };
}
