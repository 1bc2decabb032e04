/**
 * A local AWS front door: a loopback HTTP(S) listener that turns each request into the payload format 2.0 event a
 * Lambda Function URL or an API Gateway HTTP API would build, invokes a handler, and writes the result back the way
 * AWS does. `npm run start:aws` and the Lambda tests put the built bundles behind two of them (dev/aws-local.ts).
 *
 * Every emulated behaviour cites its source; the keys are those of /work/shared/reference/aws-frontdoor.md:
 * [LDG] Lambda developer guide, urls-invocation.md (Function URL events and results);
 * [AGW] API Gateway developer guide (HTTP API payload 2.0, quotas);
 * [CDK#20090] aws/aws-cdk#20090 (Function URLs answer 403 to a Host that is not their own; an AWS PM's words);
 * [FIREPROX] ustayready/fireprox#12 (X-Forwarded-Proto/-Port overwritten, X-Forwarded-For appended by API Gateway).
 * What AWS does not document is marked "assumed".
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type FrontDoorEvent = APIGatewayProxyEventV2;
export type FrontDoorResult = APIGatewayProxyStructuredResultV2;
export type FrontDoorHandler = (event: FrontDoorEvent) => Promise<FrontDoorResult>;

/** What a route selection gives: the handler, and the routeKey/pathParameters API Gateway puts into the event. */
export interface FrontDoorTarget {
  handler: FrontDoorHandler;
  /** A name for logs and tests (`verify`, `login`, `callback`). */
  name: string;
  routeKey: string;
  pathParameters?: Record<string, string>;
}

export interface FrontDoorOptions {
  kind: 'functionUrl' | 'httpApi';
  /**
   * The host AWS gives the front door (`<url-id>.lambda-url.<region>.on.aws`, `<api-id>.execute-api.<region>
   * .amazonaws.com`). A request to the listener's loopback address (`localhost`, `127.0.0.1`) stands for it: the
   * event's `host` and `requestContext.domainName` carry this name, as on AWS.
   */
  awsHost: string;
  /** HTTP API custom domains (host names without port): requests for them keep their Host, as on AWS. */
  customDomains?: string[];
  /** Picks the target for a request (the Function URL has one; the HTTP API routes). */
  route(method: string, path: string): FrontDoorTarget;
  /** PEM certificate and key: HTTPS, as AWS front doors always are. Without them, plain HTTP (tests only). */
  tls?: { cert: string; key: string };
  port?: number;
  /** @default 127.0.0.1 */
  bind?: string;
  accountId?: string;
}

export interface Invocation {
  target: string;
  event: FrontDoorEvent;
  result?: FrontDoorResult;
}

export interface FrontDoor {
  /** `https://localhost:<port>` (or http). */
  url: string;
  port: number;
  /** Every invocation so far, oldest first (bounded to the last 500). */
  readonly invocations: Invocation[];
  close(): Promise<void>;
}

/**
 * HTTP API quota: "Total combined size of request line and header values: 10240 bytes", not increasable [AGW
 * doc_source/limits.md]. What API Gateway answers above it is not documented: 413 with its JSON message is assumed.
 */
export const HTTP_API_HEADER_LIMIT = 10_240;

/** Content types the front doors pass as text; any other body is base64-encoded [LDG "isBase64Encoded"] (assumed list). */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript)|[^;]*\+(json|xml)\b)/i;

const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostName(host: string): string {
  return host.replace(/:\d+$/, '').toLowerCase();
}

/** Header values reach us as Node's latin1 byte strings; AWS puts the UTF-8 text into the JSON event. */
function utf8(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: testing for bytes above ASCII
  if (!/[^\x00-\x7f]/.test(value)) return value;
  const text = Buffer.from(value, 'latin1').toString('utf8');
  return text.includes('\ufffd') ? value : text;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** Builds the payload 2.0 event for one request. Exported for tests of the emulation itself. */
export function buildEvent(
  o: FrontDoorOptions,
  req: IncomingMessage,
  body: Buffer,
  target: FrontDoorTarget,
  domainName: string,
): FrontDoorEvent {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  // rawPath and rawQueryString: the request target as sent, not decoded [LDG sample event].
  const rawPath = q === -1 ? raw : raw.slice(0, q);
  const rawQueryString = q === -1 ? '' : raw.slice(q + 1);

  // Header names lower-cased, duplicates comma-joined ("header2": "value1,value2") [LDG]; cookies only in
  // `cookies[]`, never as a Cookie header [LDG "cookies"].
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const value = utf8(req.rawHeaders[i + 1] ?? '');
    if (name === 'cookie') {
      cookies.push(...value.split(/;\s*/).filter((c) => c !== ''));
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  // The host the function sees: the front door's own (a loopback name stands for it), or the custom domain.
  headers.host = domainName;
  // X-Forwarded-For: the caller's list with the TCP peer appended [FIREPROX; aws-lambda-go sample "x-forwarded-for"];
  // -Proto and -Port overwritten: AWS front doors only speak HTTPS on 443 [FIREPROX; LDG sample event].
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-proto'] = 'https';
  headers['x-forwarded-port'] = '443';
  // X-Forwarded-Host is not touched: a caller's value reaches the function unchanged (practitioner evidence,
  // aws-frontdoor.md §2.1: CloudFront → Function URL stacks rely on it; not documented by AWS).
  headers['x-amzn-trace-id'] =
    `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  if (req.headers['user-agent'] === undefined) headers['user-agent'] = '';

  // Query parameters decoded, duplicates comma-joined [AGW payload 2.0 "queryStringParameters"].
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;

  const contentType = req.headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const now = new Date();
  const apiId = domainName.split('.')[0] ?? domainName;
  return {
    version: '2.0',
    routeKey: target.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    ...(target.pathParameters ? { pathParameters: target.pathParameters } : {}),
    requestContext: {
      accountId: o.accountId ?? '123456789012',
      apiId,
      domainName,
      domainPrefix: apiId,
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        // "The source IP address of the immediate TCP connection making the request" [LDG].
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: target.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  } as FrontDoorEvent;
}

/** Writes a Lambda result as AWS does. */
function writeResult(res: ServerResponse, result: FrontDoorResult): void {
  const status = result.statusCode ?? 200;
  // The result is JSON text; AWS writes header values as UTF-8 bytes (Node writes a string's chars as latin1).
  for (const [name, value] of Object.entries(result.headers ?? {}))
    res.setHeader(name, Buffer.from(String(value), 'utf8').toString('latin1'));
  // "Lambda … adds them as set-cookie headers": one line per cookies[] entry [LDG response "cookies"].
  if (result.cookies && result.cookies.length > 0)
    res.setHeader(
      'Set-Cookie',
      result.cookies.map((c) => Buffer.from(c, 'utf8').toString('latin1')),
    );
  const body = result.body ?? '';
  res.writeHead(status).end(result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'));
}

/** Starts one front door on loopback. */
export async function startFrontDoor(o: FrontDoorOptions): Promise<FrontDoor> {
  const invocations: Invocation[] = [];
  const custom = new Set((o.customDomains ?? []).map((d) => d.toLowerCase()));
  const aws = o.awsHost.toLowerCase();

  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    const host = req.headers.host ?? '';
    const name = hostName(host);
    // A Host that is not the front door's own is refused with 403 [CDK#20090: "the request is rejected if it's not
    // the Lambda URL hostname"; HTTP API: a foreign Host on the default endpoint gives 403 unless a custom domain
    // matches, aws-frontdoor.md §2.2]. The body is what AWS sends (`{"Message":"Forbidden"}`, assumed).
    let domainName: string;
    if (name === aws || LOCAL_NAMES.has(name)) domainName = o.awsHost;
    else if (o.kind === 'httpApi' && custom.has(name)) domainName = host;
    else {
      json(res, 403, o.kind === 'functionUrl' ? { Message: 'Forbidden' } : { message: 'Forbidden' });
      return;
    }
    if (o.kind === 'httpApi') {
      const requestLine = `${req.method} ${req.url} HTTP/${req.httpVersion}`;
      const size =
        Buffer.byteLength(requestLine) +
        req.rawHeaders.reduce((n, v, i) => n + (i % 2 ? Buffer.byteLength(v, 'latin1') : 0), 0);
      if (size > HTTP_API_HEADER_LIMIT) {
        json(res, 413, { message: 'Request Entity Too Large' });
        return;
      }
    }
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const target = o.route(req.method ?? 'GET', path);
    const event = buildEvent(o, req, body, target, domainName);
    const invocation: Invocation = { target: target.name, event };
    invocations.push(invocation);
    if (invocations.length > 500) invocations.shift();
    try {
      invocation.result = await target.handler(event);
    } catch {
      // An unhandled error or a crash: the front door answers 502 (HTTP API: {"message":"Internal Server Error"}).
      json(res, 502, { message: 'Internal Server Error' });
      return;
    }
    writeResult(res, invocation.result);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    listener(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  };

  // Node refuses more than 16 KB of headers by default; AWS's own limits must be the ones that speak (the HTTP API's
  // above; Function URLs allow ~1 MB of request line and headers, brefphp/bref#1986).
  const maxHeaderSize = 1 << 20;
  const server: Server = o.tls
    ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, maxHeaderSize }, handle)
    : createHttpServer({ maxHeaderSize }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.bind ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${o.tls ? 'https' : 'http'}://localhost:${port}`,
    port,
    invocations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
