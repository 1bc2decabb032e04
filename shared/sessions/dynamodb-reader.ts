/**
 * The verify function's one table read, without the AWS SDK client: a GetItem in DynamoDB's JSON protocol, signed
 * with AWS's own SigV4 signer (`@smithy/signature-v4`) and sent with Node's HTTP. The SDK client's import and first
 * call were most of the verify function's cold start (issue #11, P5); login, callback and the standalone server keep
 * the SDK store (`dynamodb.ts`). Both read an item into a session with `sessionFromItem`, so they answer alike.
 *
 * It does what the SDK's standard mode does for this call: a timeout per attempt, at most 3 attempts with exponential
 * backoff and full jitter on throttling, 5xx and network errors (never on a 4xx such as ValidationException), and a
 * `DependencyError` (503 in the error funnel) when it gives up. Neither credentials nor signed headers are logged or
 * put into an error.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { DependencyError } from '../errors.js';
import { sessionFromItem, sessionKey } from './session-item.js';
import { TABLE } from './table.js';
import type { Session, SessionReader } from './types.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface DynamoReaderOptions {
  tableName: string;
  region: string;
  /** `https://dynamodb.<region>.amazonaws.com`, or a local endpoint (tests, the local front door). */
  endpoint: string;
  /** Read at each request (Lambda's are fixed for the container's life; a test may change them). */
  credentials: () => AwsCredentials;
  /** Per attempt, connection included. @default 1000 (as `dynamoClientOptions`) */
  timeoutMs?: number;
  /** @default 3 (the SDK's standard mode) */
  maxAttempts?: number;
  /** Backoff base: the n-th retry waits a random time below base × 2ⁿ. @default 100 ms (the SDK's) */
  backoffMs?: number;
}

/** DynamoDB's error types (`__type` after `#`) that mean "slow down": retried like 5xx. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'RequestThrottledException',
  'TooManyRequestsException',
]);

/** A failed attempt: `retry` says whether another attempt may succeed. The message never carries a header. */
class AttemptError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly retry: boolean,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

/**
 * The endpoint and credentials as the SDK would take them from a Lambda environment: `AWS_REGION`, the
 * `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` of the execution role, and the endpoint
 * override `AWS_ENDPOINT_URL_DYNAMODB` (or `AWS_ENDPOINT_URL`) that tests and the local front door set.
 * @throws Error when `AWS_REGION` is unset (Lambda always sets it).
 */
export function dynamoReaderFromEnv(tableName: string, env: Record<string, string | undefined>): DynamoReaderOptions {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('AWS_REGION is not set: Lambda sets it; set it when running the bundle yourself');
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || `https://dynamodb.${region}.amazonaws.com`;
  return {
    tableName,
    region,
    endpoint,
    credentials: () => {
      const accessKeyId = env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      if (!accessKeyId || !secretAccessKey)
        throw new AttemptError('CredentialsError', 'AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set', false);
      const sessionToken = env.AWS_SESSION_TOKEN;
      return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    },
  };
}

/** Sessions read with one signed GetItem each (strongly consistent, like `DynamoStore.get`). */
export class DynamoSessionReader implements SessionReader {
  private readonly url: URL;
  private readonly signer: SignatureV4;
  private readonly agent: HttpAgent;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(private readonly options: DynamoReaderOptions) {
    this.url = new URL(options.endpoint);
    this.signer = new SignatureV4({
      service: 'dynamodb',
      region: options.region,
      credentials: async () => options.credentials(),
      sha256: Hash.bind(null, 'sha256'),
    });
    // One kept-alive connection per container in practice (Lambda sends one event at a time).
    this.agent =
      this.url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.backoffMs = options.backoffMs ?? 100;
  }

  /** Always strongly consistent, so `fresh` (bypass a cache) changes nothing here. */
  async get(token: string, now: number, _options?: { fresh?: boolean }): Promise<Session | undefined> {
    const body = JSON.stringify({
      TableName: this.options.tableName,
      Key: { [TABLE.partitionKey]: { S: sessionKey(token) } },
      ConsistentRead: true,
    });
    const out = (await this.call('GetItem', body)) as { Item?: Parameters<typeof unmarshall>[0] };
    return sessionFromItem(out.Item && unmarshall(out.Item), now);
  }

  /** One operation, retried as the SDK's standard mode does; a DependencyError when it fails for good. */
  private async call(op: string, body: string): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(op, body);
      } catch (err) {
        const retry = err instanceof AttemptError ? err.retry : false;
        if (!retry || attempt >= this.maxAttempts) throw new DependencyError(`DynamoDB ${op}`, err);
        // Full jitter: a random wait below base × 2^attempt.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * this.backoffMs * 2 ** attempt));
      }
    }
  }

  private async send(op: string, body: string): Promise<unknown> {
    const payload = Buffer.from(body);
    let signed: { headers: Record<string, string> };
    try {
      signed = await this.signer.sign({
        method: 'POST',
        protocol: this.url.protocol,
        hostname: this.url.hostname,
        ...(this.url.port ? { port: Number(this.url.port) } : {}),
        path: '/',
        query: {},
        headers: {
          host: this.url.host,
          'content-type': 'application/x-amz-json-1.0',
          'content-length': String(payload.length),
          'x-amz-target': `DynamoDB_20120810.${op}`,
        },
        body: payload,
      });
    } catch (err) {
      // Missing or malformed credentials: another attempt would not find better ones.
      throw err instanceof AttemptError ? err : new AttemptError('SigningError', (err as Error).message, false);
    }
    const { status, text } = await this.post(payload, signed.headers);
    if (status === 200) return JSON.parse(text);
    let type = 'UnknownError';
    let message = '';
    try {
      const parsed = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
      type = parsed.__type?.split('#').pop() || type;
      message = parsed.message ?? parsed.Message ?? '';
    } catch {
      // A proxy's HTML error page, say: the status decides.
    }
    const retry = status >= 500 || status === 429 || THROTTLING.has(type);
    throw new AttemptError(type, `${status} ${type}${message ? `: ${message}` : ''}`, retry, status);
  }

  /** The HTTP exchange, bounded by the attempt timeout; a network failure is retryable. */
  private post(payload: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = request({
        protocol: this.url.protocol,
        hostname: this.url.hostname,
        port: this.url.port,
        method: 'POST',
        path: '/',
        headers,
        agent: this.agent,
      });
      const fail = (name: string, message: string) => {
        clearTimeout(timer);
        reject(new AttemptError(name, message, true));
      };
      const timer = setTimeout(() => {
        req.destroy();
        fail('TimeoutError', `no answer within ${this.timeoutMs} ms`);
      }, this.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => fail('NetworkError', err.code ?? err.message));
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err: NodeJS.ErrnoException) => fail('NetworkError', err.code ?? err.message));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(payload);
    });
  }

  /** Closes the kept-alive connections (tests; a Lambda container just freezes). */
  close(): void {
    this.agent.destroy();
  }
}
