/** What every bench scenario shares: the portal config, the signed-in session and the requests Traefik sends. */
import type { RawConfig } from '../shared/config/schema.js';

export const TABLE_NAME = 'bench';
export const PORTAL = 'main';
export const APP_HOST = 'app.example.com';

/** The config of the server under test. `cacheTTL` '0' turns the verify cache off. */
export function benchConfig(dynamoDBEndpoint: string, cacheTTL = '10s', extra: Partial<RawConfig> = {}): RawConfig {
  return {
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    sessions: { dynamoDBEndpoint, tableName: TABLE_NAME, region: 'us-east-1', verifyCacheTTL: cacheTTL },
    portals: [
      {
        name: PORTAL,
        providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecret: 'y' } }],
      },
    ],
    ...extra,
  };
}

/** The config baked into the Lambda bundles' asset (secrets by reference, as `cdk synth` requires). */
export function lambdaConfig(cacheTTL = '10s'): RawConfig {
  return {
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    sessions: { verifyCacheTTL: cacheTTL },
    portals: [
      {
        name: PORTAL,
        providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecretArn: 'tfa/main' } }],
      },
    ],
  };
}

export const PROFILE = { id: 'alice', name: { full: 'Alice Example' }, groups: ['admins', 'users'] };

/** The headers Traefik sends with a forward-auth check of `https://app.example.com/dashboard?x=1`. */
export const FORWARDED = {
  'X-Forwarded-Host': APP_HOST,
  'X-Forwarded-Proto': 'https',
  'X-Forwarded-Uri': '/dashboard?x=1',
  'X-Forwarded-Method': 'GET',
  'X-Forwarded-For': '203.0.113.7',
  Accept: 'text/html,application/xhtml+xml',
  'User-Agent': 'Mozilla/5.0 (bench)',
};

/** A Function URL event (payload format 2.0) for a forward-auth check, with the session cookie when given. */
export function functionUrlEvent(path: string, token?: string, extraCookies: string[] = []) {
  const url = new URL(path, 'https://x');
  const headers: Record<string, string> = { host: 'abc.lambda-url.us-east-1.on.aws' };
  for (const [k, v] of Object.entries(FORWARDED)) headers[k.toLowerCase()] = v;
  headers['x-forwarded-for'] = `${FORWARDED['X-Forwarded-For']}, 198.51.100.20`;
  headers['x-forwarded-port'] = '443';
  const cookies = [...(token ? [`tf_sess_${PORTAL}=${token}`] : []), ...extraCookies];
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length ? { cookies } : {}),
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc',
      domainName: 'abc.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc',
      http: { method: 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '198.51.100.20', userAgent: 'bench' },
      requestId: 'bench-request',
      routeKey: '$default',
      stage: '$default',
      time: '04/Dec/2026:17:00:00 +0000',
      timeEpoch: 1_800_000_000_000,
    },
    isBase64Encoded: false,
  };
}

export const LAMBDA_ENV = {
  TFA_TABLE_NAME: TABLE_NAME,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
