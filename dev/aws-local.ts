/**
 * The built Lambda bundles (dist/{verify,login,callback}/index.mjs) behind two local AWS front doors, as the
 * ForwardAuth stack deploys them: verify behind a Function-URL-like listener, all three behind an HTTP-API-like
 * listener routed as infra/routes.ts tells API Gateway. Used by `npm run start:aws` and by the Lambda and e2e tests.
 *
 * The process environment is set the way the stack sets it (table name, config asset path) plus the SDK's endpoint
 * override for DynamoDB, so the bundles run exactly their AWS code path; that endpoint is the IAM stand-in
 * (dev/iam-gate.ts), which holds each function to its role's table statements.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CONFIG_ASSET_FILE, ENV, type FunctionName, serializeConfigAsset } from '../functions/config-asset.js';
import { apiRoutes, DEFAULT_ROUTE_FUNCTION } from '../infra/routes.js';
import type { Config } from '../shared/config/types.js';
import { ensureTable } from '../shared/sessions/ensure-table.js';
import { type FrontDoor, type FrontDoorHandler, type FrontDoorTarget, startFrontDoor } from './aws-front-door.js';
import { type IamGate, invokingFunction, startIamGate } from './iam-gate.js';

export type Bundles = Record<FunctionName, FrontDoorHandler>;

/**
 * Loads the built bundles with Node's own module loader, as the Lambda runtime does (Node ≥ 20.19 loads ES modules
 * through `require`; the bundles have no top-level await). They read the environment and config at load, so set
 * those first. A second call in the same process returns the same modules.
 */
export function loadBundles(root: string): Bundles {
  const nodeRequire = createRequire(import.meta.url);
  const load = (fn: FunctionName): FrontDoorHandler => {
    const mod: { handler?: FrontDoorHandler } = nodeRequire(join(root, 'dist', fn, 'index.mjs'));
    if (typeof mod.handler !== 'function') throw new Error(`dist/${fn}/index.mjs exports no handler`);
    return mod.handler;
  };
  return { verify: load('verify'), login: load('login'), callback: load('callback') };
}

export interface SelectedRoute {
  fn: FunctionName;
  routeKey: string;
  pathParameters?: Record<string, string>;
}

/** API Gateway's route selection over our route table: an explicit route when one matches, else `$default`. */
export function selectRoute(config: Config, method: string, path: string): SelectedRoute {
  for (const route of apiRoutes(config)) {
    if (route.method !== method) continue;
    const names: string[] = [];
    const pattern = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const m = new RegExp(`^${pattern}$`).exec(path);
    if (!m) continue;
    const pathParameters = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
    return { fn: route.fn, routeKey: `${route.method} ${route.path}`, ...(names.length ? { pathParameters } : {}) };
  }
  return { fn: DEFAULT_ROUTE_FUNCTION, routeKey: '$default' };
}

export const REGION = 'us-east-1';
/** The `<url-id>` of the emulated `https://<url-id>.lambda-url.<region>.on.aws`. */
export const URL_ID = 'abcdefghij2uxqmmbmgqwlbsca0mnzqp';
export const API_ID = 'r3pmxmplak';

export interface LocalAwsOptions {
  /** The repository (its dist/ holds the bundles). */
  root: string;
  /** The config as the stack bundles it (infra/aws-config.ts `bundledConfig`, or the standalone loader's). */
  config: Config;
  /** An existing DynamoDB endpoint (the embedded store, or a real one); the table is created when missing. */
  dynamoEndpoint: string;
  tableName: string;
  tls?: { cert: string; key: string };
  /** Listener ports (default: any free port). */
  verifyPort?: number;
  apiPort?: number;
  /** @default 127.0.0.1 */
  bind?: string;
  region?: string;
}

export interface LocalAws {
  /** The Function-URL-like listener in front of verify. */
  functionUrl: FrontDoor;
  /** The HTTP-API-like listener in front of the three functions; answers the config's authHosts as custom domains. */
  httpApi: FrontDoor;
  functionUrlHost: string;
  apiHost: string;
  bundles: Bundles;
  /** The IAM stand-in between the bundles and the store: each function may do what the stack grants its role. */
  iam: IamGate;
  close(): Promise<void>;
}

/** Writes the config asset, sets the environment, loads the bundles and starts both front doors. */
export async function startLocalAws(o: LocalAwsOptions): Promise<LocalAws> {
  const region = o.region ?? REGION;
  await ensureTable(
    new DynamoDBClient({
      endpoint: o.dynamoEndpoint,
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    o.tableName,
  );
  const dir = mkdtempSync(join(tmpdir(), 'tfa-aws-local-'));
  const configPath = join(dir, CONFIG_ASSET_FILE);
  writeFileSync(configPath, serializeConfigAsset(o.config));
  // The store as the functions see it on AWS: behind their roles' table statements (infra/table-access.ts).
  const iam = await startIamGate({ target: o.dynamoEndpoint, config: o.config });
  // What the stack sets (infra/forward-auth.ts), plus the endpoint override the SDK honours.
  process.env[ENV.tableName] = o.tableName;
  process.env[ENV.configPath] = configPath;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = iam.endpoint;
  process.env.AWS_REGION ??= region;
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const loaded = loadBundles(o.root);
  // Each invocation runs as its function, for the IAM stand-in.
  const asFunction =
    (fn: FunctionName): FrontDoorHandler =>
    (event) =>
      invokingFunction.run(fn, () => loaded[fn](event));
  const bundles: Bundles = {
    verify: asFunction('verify'),
    login: asFunction('login'),
    callback: asFunction('callback'),
  };

  const functionUrlHost = `${URL_ID}.lambda-url.${region}.on.aws`;
  const apiHost = `${API_ID}.execute-api.${region}.amazonaws.com`;
  const verify: FrontDoorTarget = { handler: bundles.verify, name: 'verify', routeKey: '$default' };
  const functionUrl = await startFrontDoor({
    kind: 'functionUrl',
    awsHost: functionUrlHost,
    route: () => verify,
    ...(o.tls ? { tls: o.tls } : {}),
    ...(o.verifyPort !== undefined ? { port: o.verifyPort } : {}),
    ...(o.bind ? { bind: o.bind } : {}),
  });
  const httpApi = await startFrontDoor({
    kind: 'httpApi',
    awsHost: apiHost,
    customDomains: o.config.server.domains.flatMap((d) => (d.authHost ? [d.authHost.replace(/:\d+$/, '')] : [])),
    route: (method, path) => {
      const r = selectRoute(o.config, method, path);
      return {
        handler: bundles[r.fn],
        name: r.fn,
        routeKey: r.routeKey,
        ...(r.pathParameters ? { pathParameters: r.pathParameters } : {}),
      };
    },
    ...(o.tls ? { tls: o.tls } : {}),
    ...(o.apiPort !== undefined ? { port: o.apiPort } : {}),
    ...(o.bind ? { bind: o.bind } : {}),
  });
  return {
    functionUrl,
    httpApi,
    functionUrlHost,
    apiHost,
    bundles,
    iam,
    close: async () => {
      await Promise.allSettled([functionUrl.close(), httpApi.close()]);
      await iam.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
