/**
 * `tfa-admin`: the session inventory. Lists and revokes sessions in the embedded store (`--data-dir`), any DynamoDB
 * table (`--table`, `--region`, `--endpoint`) or a deployed stage (`--stage`, read from cdk.json). It never prints a
 * session token: sessions are named by a short id, the first characters of their stored key (SHA-256 of the token).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DependencyError } from '../shared/errors.js';
import { DynamoStore } from '../shared/sessions/dynamodb.js';
import { startEmbeddedDynamoDB } from '../shared/sessions/embedded.js';
import type { SessionFilter, SessionSummary } from '../shared/sessions/types.js';

const HELP = `Usage:
  tfa-admin sessions list   [--portal P] [--provider X] [--user U] [--json]   <store>
  tfa-admin sessions revoke (--user U --provider X | --session <id-prefix>) [--portal P]   <store>

<store> is one of:
  --data-dir <dir>                        the embedded store on disk (sessions.embeddedPath); stop the server first
  --table <name> [--region R] [--endpoint URL]   any DynamoDB table (credentials: the standard AWS chain)
  --stage <name>                          the table of a stage deployed from cdk.json (-c stage=<name>)

'list' and 'revoke' read the whole table (a DynamoDB Scan: half a read unit per 4 KB, sessions and login states).
Nothing printed is a credential: the id is the start of SHA-256(session token).`;

/** A wrong command line: the message, then the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface AdminIO {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** The project directory (where cdk.json is). */
  cwd: string;
  now(): number;
}

interface Opened {
  store: DynamoStore;
  where: string;
  close(): Promise<void>;
}

const OPTIONS = {
  portal: { type: 'string' },
  provider: { type: 'string' },
  user: { type: 'string' },
  session: { type: 'string' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  stage: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Runs one command; returns the exit code (0 done, 1 failed or nothing matched, 2 usage). */
export async function runAdmin(argv: string[], io: AdminIO): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (err) {
    io.err(`tfa-admin: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help || positionals.length === 0) {
    (values.help ? io.out : io.err)(HELP);
    return values.help ? 0 : 2;
  }
  try {
    const [group, command, ...extra] = positionals;
    if (group !== 'sessions' || (command !== 'list' && command !== 'revoke') || extra.length > 0)
      throw new UsageError(`unknown command '${positionals.join(' ')}'`);
    if (command === 'revoke') checkRevokeArgs(values);
    const opened = await openStore(values, io);
    try {
      return command === 'list' ? await list(opened.store, values, io) : await revoke(opened.store, values, io);
    } catch (err) {
      if ((err as Error).cause instanceof Error && ((err as Error).cause as Error).name === 'ResourceNotFoundException')
        throw new Error(`the sessions table does not exist: ${opened.where}`);
      throw err;
    } finally {
      await opened.close();
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`tfa-admin: ${err.message}\n\n${HELP}`);
      return 2;
    }
    io.err(`tfa-admin: ${describeFailure(err)}`);
    return 1;
  }
}

function checkRevokeArgs(v: Values): void {
  const bySession = v.session !== undefined;
  const byUser = v.user !== undefined || v.provider !== undefined;
  if (bySession === byUser) throw new UsageError('revoke needs either --session <id-prefix> or --user and --provider');
  if (byUser && (v.user === undefined || v.provider === undefined))
    throw new UsageError('revoke --user needs --provider too (the same user id may exist at another provider)');
  if (bySession && (v.session ?? '').length < 4)
    throw new UsageError('--session needs at least 4 characters of the session id');
}

function filterOf(v: Values): SessionFilter {
  // Portal and provider names are lower-case in the config, and so in the table.
  return { portal: v.portal?.toLowerCase(), provider: v.provider?.toLowerCase(), userId: v.user };
}

async function list(store: DynamoStore, v: Values, io: AdminIO): Promise<number> {
  const sessions = await store.list(filterOf(v), io.now());
  if (v.json) {
    io.out(JSON.stringify(sessions.map(publicView), null, 2));
    return 0;
  }
  if (sessions.length === 0) {
    io.out('No sessions.');
    return 0;
  }
  const rows = sessions.map((s) => {
    const p = publicView(s);
    return [p.id, p.portal, p.provider, p.user, p.created, p.expires, p.ip ?? '-', p.userAgent ?? '-'];
  });
  io.out(table(['ID', 'PORTAL', 'PROVIDER', 'USER', 'CREATED', 'EXPIRES', 'IP', 'USER AGENT'], rows));
  io.out(`${sessions.length} session${sessions.length === 1 ? '' : 's'}`);
  return 0;
}

async function revoke(store: DynamoStore, v: Values, io: AdminIO): Promise<number> {
  const filter = filterOf(v);
  let sessions = await store.list(v.session === undefined ? filter : { portal: filter.portal }, io.now());
  if (v.session !== undefined) {
    const prefix = v.session;
    sessions = sessions.filter((s) => s.key.startsWith(prefix));
    if (sessions.length > 1) {
      io.err(`tfa-admin: '${prefix}' matches ${sessions.length} sessions; give more characters of the id:`);
      for (const s of sessions) io.err(`  ${s.id}  ${s.portal}  ${s.provider}  ${s.userId}`);
      return 1;
    }
  }
  if (sessions.length === 0) {
    io.err('tfa-admin: no session matches');
    return 1;
  }
  for (const s of sessions) await store.revokeByKey(s.key);
  for (const s of sessions) io.out(`Revoked ${s.id} (portal ${s.portal}, provider ${s.provider}, user ${s.userId})`);
  io.out(`${sessions.length} session${sessions.length === 1 ? '' : 's'} revoked`);
  return 0;
}

/** What the CLI shows of a session: never the full key, never a token. */
function publicView(s: SessionSummary) {
  return {
    id: s.id,
    portal: s.portal,
    provider: s.provider,
    user: s.userId,
    created: new Date(s.createdAt).toISOString(),
    expires: new Date(s.expiresAt).toISOString(),
    ip: s.ip,
    userAgent: s.userAgent,
  };
}

function table(header: string[], rows: string[][]): string {
  const last = header.length - 1;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // User agents are long: the last column is not padded, so a narrow terminal wraps only it.
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === last ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

async function openStore(v: Values, io: AdminIO): Promise<Opened> {
  const chosen = [
    v['data-dir'] !== undefined,
    v.table !== undefined || v.endpoint !== undefined,
    v.stage !== undefined,
  ];
  if (chosen.filter(Boolean).length !== 1)
    throw new UsageError('choose one store: --data-dir, --table (with --region/--endpoint) or --stage');

  if (v['data-dir'] !== undefined) {
    const dir = v['data-dir'];
    let embedded: Awaited<ReturnType<typeof startEmbeddedDynamoDB>>;
    try {
      embedded = await startEmbeddedDynamoDB(dir);
    } catch (err) {
      throw new Error(`cannot open the embedded store in '${dir}' (is the server still running on it?)`, {
        cause: err,
      });
    }
    const client = new DynamoDBClient({
      endpoint: embedded.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' },
    });
    return {
      store: new DynamoStore(client, v.table ?? 'tfa-sessions'),
      where: `table ${v.table ?? 'tfa-sessions'} in the embedded store in ${dir}`,
      close: async () => {
        client.destroy();
        await embedded.close();
      },
    };
  }

  let tableName = v.table;
  let region = v.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  if (v.stage !== undefined) {
    const stage = await stageTable(v.stage, region, io);
    tableName = stage.tableName;
    region = stage.region;
  }
  if (!tableName) throw new UsageError('--endpoint needs --table');
  if (!region && !v.endpoint) throw new UsageError('--table needs --region (or AWS_REGION)');
  const client = new DynamoDBClient({ region: region ?? 'us-east-1', endpoint: v.endpoint });
  return {
    store: new DynamoStore(client, tableName),
    where: `table ${tableName} ${v.endpoint ? `at ${v.endpoint}` : `in ${region}`}`,
    close: async () => client.destroy(),
  };
}

/** The sessions table of a deployed stage: cdk.json gives the stack and region, the stack's `TableName` output the rest. */
async function stageTable(
  stage: string,
  regionOverride: string | undefined,
  io: AdminIO,
): Promise<{ tableName: string; region: string }> {
  let context: unknown;
  try {
    context = (JSON.parse(readFileSync(join(io.cwd, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> })
      .context;
  } catch (err) {
    throw new Error(`--stage needs cdk.json in ${io.cwd}: ${(err as Error).message}`);
  }
  // Loaded only here: the stage schema lives with the CDK app (aws-cdk-lib), which the other commands never need.
  const { resolveStage, STAGES_CONTEXT_KEY } = await import('../infra/stages.js');
  const resolved = resolveStage(
    stage,
    (context as Record<string, unknown> | undefined)?.[STAGES_CONTEXT_KEY],
    io.env,
    io.cwd,
  );
  const region = resolved.props.env?.region ?? regionOverride;
  if (!region) throw new UsageError(`stage '${stage}' has no region in cdk.json: pass --region`);
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = new CloudFormationClient({ region });
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: resolved.stackName }));
    const tableName = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'TableName')?.OutputValue;
    if (!tableName)
      throw new Error(
        `stack '${resolved.stackName}' in ${region} has no TableName output (deployed by tfa-serverless?)`,
      );
    return { tableName, region };
  } catch (err) {
    if (err instanceof Error && err.message.includes('TableName output')) throw err;
    throw new Error(`cannot read stack '${resolved.stackName}' in ${region}: ${(err as Error).message}`);
  } finally {
    cfn.destroy();
  }
}

function describeFailure(err: unknown): string {
  if (err instanceof DependencyError) {
    const cause = err.cause as Error | undefined;
    return `${err.detail}${cause?.message ? `: ${cause.message}` : ''}`;
  }
  const e = err as Error;
  const cause = e.cause as Error | undefined;
  return `${e.message}${cause?.message ? ` (${cause.message})` : ''}`;
}

/** Node entry point (`npx tfa-admin`, through bin/tfa-admin.mjs). */
export async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const code = await runAdmin(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
    cwd: process.cwd(),
    now: Date.now,
  });
  process.exitCode = code;
}
