/**
 * What the three Lambda functions share: reading the environment and the bundled config once per container, opening
 * the sessions table, and the Lambda boundary (hono's adapter plus the header-encoding fix).
 *
 * The verify function imports this module, so it must stay free of openid-client, Secrets Manager, STS, the HTML
 * portal and the AWS SDK's DynamoDB client (test/boundaries.test.ts checks the bundle's metafile): each function
 * passes the way it opens the table (`functions/sdk-table.ts` for login and callback, a signed GetItem for verify).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handle, type LambdaEvent } from 'hono/aws-lambda';
import type { App } from '../shared/app/base.js';
import type { Config } from '../shared/config/types.js';
import { createLogger, type Logger } from '../shared/log.js';
import type { CoreDeps } from '../shared/routes/context.js';
import type { RawAnswer, RawRequest } from '../shared/routes/verify-fast.js';
import { CONFIG_ASSET_FILE, ENV, type FunctionName, parseConfigAsset } from './config-asset.js';

/** Everything a function builds once per container (module scope), before its first request. */
export interface LambdaRuntime<Table = unknown> {
  config: Config;
  log: Logger;
  deps: CoreDeps;
  /** The one table (sessions, login states), as the function's `openTable` opened it. */
  store: Table;
  /** The process environment as read at cold start (assertion sources need it). */
  env: Record<string, string | undefined>;
}

/**
 * How a function opens the table, from its name and the Lambda environment (region, credentials and, in tests,
 * AWS_ENDPOINT_URL_DYNAMODB).
 */
export type OpenTable<Table> = (tableName: string, env: Record<string, string | undefined>) => Table;

/**
 * Reads the environment and the config asset and opens the table. Called once at module load: a missing variable or
 * a broken asset fails the cold start with a message that says what to fix.
 * @throws Error when `TFA_TABLE_NAME` is unset or the config asset cannot be read.
 */
export function coldStart<Table>(
  fn: FunctionName,
  openTable: OpenTable<Table>,
  env: Record<string, string | undefined> = process.env,
): LambdaRuntime<Table> {
  const tableName = env[ENV.tableName];
  if (!tableName)
    throw new Error(
      `${ENV.tableName} is not set: the ForwardAuth stack sets it; set it when running the bundle yourself`,
    );
  const configPath = env[ENV.configPath] || fileURLToPath(new URL(`./${CONFIG_ASSET_FILE}`, import.meta.url));
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read the config asset '${configPath}' (${(err as NodeJS.ErrnoException).code}): cdk synth writes it next to index.mjs; set ${ENV.configPath} to use another file`,
    );
  }
  const config = parseConfigAsset(text, configPath);
  // Always JSON on Lambda: one object per line is what CloudWatch Logs Insights queries.
  const log = createLogger({ level: config.logs.level, json: true }, { app: 'tfa-serverless', fn });
  const store = openTable(tableName, env);
  return { config, log, deps: { config, log, now: Date.now }, store, env };
}

/**
 * What both front doors send: API Gateway HTTP API payload format 2.0, which Lambda Function URLs use too (they differ
 * in `requestContext.domainName`, `routeKey` and `pathParameters`).
 */
export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { headers: Record<string, string>; cookies: string[] };

type HonoV2Event = Extract<LambdaEvent, { rawPath: string }>;

const NON_ASCII = /[^\p{ASCII}]/u;

/**
 * Identity header values leave the core as byte strings (the UTF-8 bytes of the text, one char per byte, which is
 * what a Node or Go server writes to the wire). A Lambda result is JSON text that the front door re-encodes as
 * UTF-8, so a byte string would arrive double-encoded; hono's `createResult` copies header values unchanged (its
 * percent-encoding applies to request headers only). Decoding the bytes back to text here makes the front door
 * write the same bytes the standalone server does.
 */
export function utf8HeaderValues(headers: Record<string, string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    // Payload 2.0 results have one string per header; a list would be joined by the front door anyway.
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    out[name] = NON_ASCII.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
  }
  return out;
}

/**
 * hono's adapter percent-encodes the **whole** value of a request header that has any non-ASCII character, so an
 * X-Forwarded-Uri of `/a?x=ä` (Traefik sends the query raw; AWS puts the UTF-8 text into the event) would reach the
 * core as `%2Fa%3Fx%3D%C3%A4`, no longer a path, and the return URL would fall back to the profile page. Encoding
 * only its non-ASCII characters, as their UTF-8 bytes, gives `/a?x=%C3%A4`: what the standalone server makes of the
 * same raw bytes (shared/http/forwarded.ts `pathAndQuery`).
 */
export function forwardedUriAsAscii(headers: HttpEvent['headers']): HttpEvent['headers'] {
  const uri = headers['x-forwarded-uri'];
  if (uri === undefined || !NON_ASCII.test(uri)) return headers;
  return {
    ...headers,
    'x-forwarded-uri': uri.replace(/[^\p{ASCII}]/gu, (c) => encodeURIComponent(c.replace(/\p{Cs}/u, '\ufffd'))),
  };
}

/**
 * The Lambda boundary: hono's adapter turns the event into a web `Request` (the `cookies[]` array becomes one
 * `Cookie` header, base64 bodies are decoded, headers such as X-Forwarded-Host pass through) and the `Response`
 * back into a result with every `Set-Cookie` in `cookies[]`.
 */
export function lambdaHandler(app: App): (event: HttpEvent) => Promise<HttpResult> {
  const honoHandler = handle(app);
  return async (event) => {
    // Both shapes are payload format 2.0, which hono recognises by `rawPath` and `requestContext.http`. Its type
    // differs from @types/aws-lambda only in fields it never reads (`requestContext.authorizer` is required there but
    // absent on Function URLs with auth NONE), hence the cast.
    const headers = forwardedUriAsAscii(event.headers);
    const result = await honoHandler({ ...event, headers, body: event.body ?? null } as unknown as HonoV2Event);
    return {
      statusCode: result.statusCode,
      headers: utf8HeaderValues(result.headers),
      cookies: result.cookies ?? [],
      body: result.body,
      isBase64Encoded: result.isBase64Encoded,
    };
  };
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~\dA-Za-z]+$/;
const FORBIDDEN_VALUE = /[\0\r\n]/;

/** Trims HTTP whitespace off a header value, as web `Headers` does. */
function trimHeaderValue(v: string): string {
  return v.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
}

/**
 * The request as the verify fast path reads it, with the header semantics of the core's path (hono's adapter:
 * `cookies[]` joined with "; " into Cookie, then every header set on top, non-ASCII values percent-encoded, values
 * trimmed). `undefined` for an event the adapter would refuse, or one with a body: the core answers those.
 */
export function rawRequest(event: HttpEvent): RawRequest | undefined {
  if (event.body) return undefined;
  const headers = new Map<string, string>();
  if (Array.isArray(event.cookies)) headers.set('cookie', event.cookies.join('; '));
  for (const [name, raw] of Object.entries(event.headers ?? {})) {
    if (!raw) continue;
    if (!HEADER_NAME.test(name)) return undefined;
    const value = trimHeaderValue(NON_ASCII.test(raw) ? encodeURIComponent(raw) : raw);
    if (FORBIDDEN_VALUE.test(value)) return undefined;
    headers.set(name.toLowerCase(), value);
  }
  const query = event.rawQueryString;
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    target: query ? `${event.rawPath}?${query}` : event.rawPath,
    header: (name) => headers.get(name),
    protocol: 'https:',
  };
}

/** A fast-path answer as the Lambda result the core's path would return for it. */
export function rawResult(answer: RawAnswer): HttpResult {
  const headers: Record<string, string> = {};
  for (const [name, value] of answer.headers) headers[name] = value;
  return {
    statusCode: answer.status,
    headers: utf8HeaderValues(headers),
    cookies: [],
    body: answer.body,
    isBase64Encoded: false,
  };
}
