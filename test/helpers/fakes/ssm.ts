import { type FakeReply, HttpFake, jsonReply, type RecordedRequest } from './http-fake.js';

interface StoredParameter {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
}

/**
 * A fake AWS Systems Manager Parameter Store speaking what `@aws-sdk/client-ssm` sends: the **AWS JSON 1.1
 * protocol** — `POST /` with `X-Amz-Target: AmazonSSM.<Operation>` and `Content-Type: application/x-amz-json-1.1`;
 * errors are 400 with `{"__type": "<Exception>", "message": …}`. It implements GetParameter (a SecureString comes back
 * as ciphertext-like text unless `WithDecryption`), PutParameter (with `Overwrite`) and DeleteParameter.
 *
 * Point the SDK at it with `AWS_ENDPOINT_URL_SSM=<url>` (or `endpoint`); it does not check signatures.
 */
export class FakeSsm extends HttpFake {
  private readonly parameters = new Map<string, StoredParameter>();

  /** Stores a SecureString, as PutParameter with Overwrite would. */
  put(name: string, value: string): void {
    const version = (this.parameters.get(name)?.version ?? 0) + 1;
    this.parameters.set(name, { name, type: 'SecureString', value, version });
  }

  /** The stored value of a parameter (what a test inspects after a custom resource ran). */
  value(name: string): string | undefined {
    return this.parameters.get(name)?.value;
  }

  /** GetParameter calls received, by name. */
  get reads(): string[] {
    return this.requests
      .filter((r) => r.headers['x-amz-target'] === 'AmazonSSM.GetParameter')
      .map((r) => String((JSON.parse(r.body) as { Name?: unknown }).Name));
  }

  protected override isTokenRequest(req: RecordedRequest): boolean {
    return req.headers['x-amz-target'] === 'AmazonSSM.GetParameter';
  }

  protected handle(req: RecordedRequest): FakeReply {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith('AmazonSSM.'))
      return FakeSsm.error('UnknownOperationException', `unsupported request ${req.method} ${target}`);
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1'))
      return FakeSsm.error('SerializationException', 'expected application/x-amz-json-1.1');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.body || '{}') as Record<string, unknown>;
    } catch {
      return FakeSsm.error('SerializationException', 'body is not JSON');
    }
    const name = String(body.Name ?? '');
    const existing = this.parameters.get(name);
    switch (target) {
      case 'AmazonSSM.GetParameter': {
        if (!existing) return FakeSsm.error('ParameterNotFound', '');
        const decrypt = body.WithDecryption === true || existing.type !== 'SecureString';
        return reply({
          Parameter: {
            Name: name,
            Type: existing.type,
            Value: decrypt ? existing.value : Buffer.from(`kms:${existing.value}`).toString('base64'),
            Version: existing.version,
            ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${name.startsWith('/') ? '' : '/'}${name}`,
            DataType: 'text',
          },
        });
      }
      case 'AmazonSSM.PutParameter': {
        if (existing && body.Overwrite !== true)
          return FakeSsm.error('ParameterAlreadyExists', 'The parameter already exists.');
        const type = String(body.Type ?? existing?.type ?? 'String') as StoredParameter['type'];
        const version = (existing?.version ?? 0) + 1;
        this.parameters.set(name, { name, type, value: String(body.Value ?? ''), version });
        return reply({ Version: version, Tier: 'Standard' });
      }
      case 'AmazonSSM.DeleteParameter': {
        if (!existing) return FakeSsm.error('ParameterNotFound', '');
        this.parameters.delete(name);
        return reply({});
      }
      default:
        return FakeSsm.error('UnknownOperationException', `unsupported operation ${target}`);
    }
  }

  /** An SSM error reply (JSON 1.1 protocol). */
  static error(type: string, message: string): FakeReply {
    return {
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': crypto.randomUUID() },
      body: JSON.stringify({ __type: type, message }),
    };
  }
}

function reply(body: unknown): FakeReply {
  return { ...jsonReply(200, body), headers: { 'content-type': 'application/x-amz-json-1.1' } };
}
