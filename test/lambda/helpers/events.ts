/**
 * Realistic Lambda events, modelled on AWS's documented samples: the API Gateway HTTP API payload format 2.0 event
 * (developerguide/http-api-develop-integrations-lambda.html) and the Lambda Function URL event
 * (lambda/latest/dg/urls-invocation.html#urls-payloads). Header names arrive lower-cased, duplicate headers
 * comma-joined, cookies only in `cookies[]`, and the front door adds its own X-Forwarded-For/-Port/-Proto.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';
/** Function URL id (the `<url-id>` of `https://<url-id>.lambda-url.<region>.on.aws`). */
export const URL_ID = 'abcdefghij2uxqmmbmgqwlbsca0mnzqp';
export const FUNCTION_URL_HOST = `${URL_ID}.lambda-url.${REGION}.on.aws`;
export const API_ID = 'r3pmxmplak';
export const API_HOST = `${API_ID}.execute-api.${REGION}.amazonaws.com`;
/** The address the AWS front door sees the caller at (Traefik's egress, or the browser). */
export const PEER_IP = '198.51.100.20';

export interface RequestSpec {
  method?: string;
  /** Path and query as the front door received them (`/portals/main?if=...`). */
  path: string;
  /** Request headers as the client sent them, any case; `host` is set from the front door. */
  headers?: Record<string, string>;
  /** `name=value` pairs, as API Gateway splits the Cookie header. */
  cookies?: string[];
  body?: string | Buffer;
  /** Send the body base64-encoded, as the front doors do for binary content types. */
  base64?: boolean;
}

export interface ApiGatewayOptions {
  /** `$default` or `GET /portals/{portal}`. */
  routeKey: string;
  pathParameters?: Record<string, string>;
  /** Host the API was reached at: the custom domain or the execute-api host. @default API_HOST */
  domainName?: string;
}

function common(spec: RequestSpec, domainName: string, routeKey: string) {
  const url = new URL(spec.path, 'https://placeholder');
  const method = spec.method ?? 'GET';
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.headers ?? {})) {
    const name = k.toLowerCase();
    // Duplicate headers arrive comma-joined in payload format 2.0.
    headers[name] = headers[name] === undefined ? v : `${headers[name]},${v}`;
  }
  const clientFor = headers['x-forwarded-for'];
  // The front door appends the address it saw (documented for API Gateway; Function URLs behave the same).
  headers['x-forwarded-for'] = clientFor ? `${clientFor}, ${PEER_IP}` : PEER_IP;
  headers['x-forwarded-proto'] = 'https';
  headers['x-forwarded-port'] = '443';
  headers['x-amzn-trace-id'] =
    `Root=1-${Date.now().toString(16).slice(0, 8)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  headers.host = domainName;
  const body =
    spec.body === undefined
      ? undefined
      : spec.base64
        ? Buffer.from(spec.body).toString('base64')
        : Buffer.from(spec.body).toString('utf8');
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(Buffer.from(spec.body ?? '')));
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(spec.cookies && spec.cookies.length > 0 ? { cookies: spec.cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: PEER_IP,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: spec.base64 === true,
  };
}

/** An API Gateway HTTP API (payload format 2.0) event. */
export function apiGatewayEvent(spec: RequestSpec, opts: ApiGatewayOptions): APIGatewayProxyEventV2 {
  const base = common(spec, opts.domainName ?? API_HOST, opts.routeKey);
  return {
    ...base,
    ...(opts.pathParameters ? { pathParameters: opts.pathParameters } : {}),
    requestContext: { ...base.requestContext, apiId: API_ID },
  };
}

/** A Lambda Function URL event (auth type NONE: no authorizer block). */
export function functionUrlEvent(spec: RequestSpec): APIGatewayProxyEventV2 {
  const base = common(spec, FUNCTION_URL_HOST, '$default');
  return { ...base, requestContext: { ...base.requestContext, apiId: URL_ID } };
}
