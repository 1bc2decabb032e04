/**
 * A local stand-in for IAM on the sessions table: a loopback proxy in front of the DynamoDB endpoint that checks each
 * request of a Lambda bundle against its function's table statements (infra/table-access.ts, what the stack grants
 * the function's role) and answers `AccessDeniedException` as DynamoDB does when IAM refuses. dev/aws-local.ts puts
 * it in front of the store, so the Lambda and e2e tests and `npm run start:aws` run with the stack's least privilege.
 *
 * Which function sent a request: the front door runs each invocation inside {@link invokingFunction}; when a bundle's
 * SDK opens a connection to the gate, a `http.client.request.start` subscriber (diagnostics_channel, synchronous, so
 * still in that context) notes the socket's local port for that function. Each bundle has its own DynamoDB client and
 * so its own sockets. Requests from outside an invocation (table set-up, tests' own clients) pass unchecked.
 *
 * What it evaluates is what the stack uses: Allow statements with `ForAllValues:StringLike` on `dynamodb:LeadingKeys`
 * (every partition key of the request: each key of a batch, the index partition key of a Query on an index). It
 * does not emulate the rest of IAM.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import {
  type ClientRequest,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FunctionName } from '../functions/config-asset.js';
import { type TableStatement, tableStatements } from '../infra/table-access.js';
import type { Config } from '../shared/config/types.js';
import { TABLE } from '../shared/sessions/table.js';

/** The function whose invocation is running (set by dev/aws-local.ts around each handler call). */
export const invokingFunction = new AsyncLocalStorage<FunctionName>();

/** One DynamoDB request as IAM evaluates it. */
export interface TableCall {
  /** `dynamodb:GetItem`, … */
  action: string;
  resource: 'table' | 'index';
  /** The partition key values of the request (`dynamodb:LeadingKeys`). */
  leadingKeys: string[];
}

type Key = Record<string, { S?: string }>;
/** The parts of a DynamoDB JSON-protocol request body that name keys. */
export interface WireBody {
  IndexName?: string;
  Key?: Key;
  Item?: Key;
  RequestItems?: Record<string, { Keys?: Key[] } | { DeleteRequest?: { Key: Key }; PutRequest?: { Item: Key } }[]>;
  KeyConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, { S?: string }>;
}

/** What IAM sees of a request on the wire: `X-Amz-Target` (`DynamoDB_20120810.GetItem`) and the JSON body. */
export function tableCall(target: string, body: WireBody): TableCall {
  const action = `dynamodb:${target.split('.')[1] ?? ''}`;
  const pk = TABLE.partitionKey;
  if (body.RequestItems) {
    const keys = Object.values(body.RequestItems).flatMap((requests) =>
      Array.isArray(requests)
        ? requests.map((r) => (r.DeleteRequest?.Key ?? r.PutRequest?.Item)?.[pk]?.S ?? '')
        : (requests.Keys ?? []).map((k) => k[pk]?.S ?? ''),
    );
    return { action, resource: 'table', leadingKeys: keys };
  }
  const resource = body.IndexName ? 'index' : 'table';
  if (body.KeyConditionExpression) {
    // The (index) partition key's value: `#alias = :value`, where #alias names that attribute.
    const attr = body.IndexName ? TABLE.userIndexPartitionKey : pk;
    const alias = Object.entries(body.ExpressionAttributeNames ?? {}).find(([, name]) => name === attr)?.[0] ?? attr;
    const value = new RegExp(`${alias.replace(/[$^.*+?()[\]{}|\\]/g, '\\$&')}\\s*=\\s*(:\\w+)`).exec(
      body.KeyConditionExpression,
    )?.[1];
    return { action, resource, leadingKeys: [(value && body.ExpressionAttributeValues?.[value]?.S) ?? ''] };
  }
  const key = (body.Key ?? body.Item)?.[pk]?.S;
  return { action, resource, leadingKeys: key === undefined ? [] : [key] };
}

/** IAM's StringLike: `*` any run of characters, `?` one. */
function like(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}

/**
 * Whether one of the Allow statements allows the call.
 * @throws Error for a condition other than `ForAllValues:StringLike` on `dynamodb:LeadingKeys` (not emulated)
 */
export function allows(statements: readonly TableStatement[], call: TableCall): boolean {
  return statements.some((s) => {
    if (s.resource !== call.resource || !s.actions.includes(call.action)) return false;
    for (const [operator, entries] of Object.entries(s.condition))
      for (const [key, patterns] of Object.entries(entries)) {
        if (operator !== 'ForAllValues:StringLike' || key !== 'dynamodb:LeadingKeys')
          throw new Error(`the IAM stand-in does not evaluate ${operator} on ${key}`);
        if (!call.leadingKeys.every((k) => patterns.some((p) => like(p, k)))) return false;
      }
    return true;
  });
}

export interface DeniedCall extends TableCall {
  fn: FunctionName;
}

export interface IamGate {
  /** `http://127.0.0.1:<port>`: the endpoint to give the bundles. */
  endpoint: string;
  /** Every request refused so far (a test asserts it stays empty). */
  readonly denied: DeniedCall[];
  /** How many function requests were checked. */
  readonly checked: number;
  close(): Promise<void>;
}

/** Starts the gate in front of `target` (a DynamoDB endpoint such as the embedded store's). */
export async function startIamGate(o: { target: string; config: Config }): Promise<IamGate> {
  const statements = {
    verify: tableStatements('verify', o.config),
    login: tableStatements('login', o.config),
    callback: tableStatements('callback', o.config),
  };
  const target = new URL(o.target);
  const byPort = new Map<number, FunctionName>();
  const denied: DeniedCall[] = [];
  let checked = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fn = byPort.get(req.socket.remotePort ?? -1);
      if (fn) {
        checked++;
        const call = tableCall(String(req.headers['x-amz-target'] ?? ''), JSON.parse(body.toString('utf8')));
        if (!allows(statements[fn], call)) {
          denied.push({ fn, ...call });
          // DynamoDB's answer when IAM refuses (the SDK raises AccessDeniedException, not retried).
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({
              __type: 'com.amazon.coral.service#AccessDeniedException',
              message: `User: tfa-${fn} is not authorized to perform: ${call.action} on resource: ${call.resource} because no identity-based policy allows the ${call.action} action`,
            }),
          );
          return;
        }
      }
      forward(req, body, res);
    });
  });
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host, 'content-length': String(body.length) },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    upstream.end(body);
  };
  // A closed connection's port may come back for a client outside any invocation.
  server.on('connection', (socket) => socket.on('close', () => byPort.delete(socket.remotePort ?? -1)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  // Notes which function opened each connection to the gate (see the module comment).
  const onRequest = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    if (request.getHeader('host') !== `127.0.0.1:${port}`) return;
    // A kept-alive socket carries each request in turn: note it again for every one, outside an invocation too.
    const fn = invokingFunction.getStore();
    const set = (localPort: number) => (fn ? byPort.set(localPort, fn) : byPort.delete(localPort));
    const note = (socket: Socket) => {
      if (socket.localPort !== undefined) set(socket.localPort);
      else socket.once('connect', () => socket.localPort !== undefined && set(socket.localPort));
    };
    if (request.socket) note(request.socket);
    else request.once('socket', note);
  };
  diagnostics.subscribe('http.client.request.start', onRequest);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    denied,
    get checked() {
      return checked;
    },
    close: async () => {
      diagnostics.unsubscribe('http.client.request.start', onRequest);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
