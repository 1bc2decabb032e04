import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AdminIO, runAdmin } from '../../bin/admin.js';
import { sha256 } from '../../shared/crypto.js';
import { DynamoStore } from '../../shared/sessions/dynamodb.js';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../shared/sessions/embedded.js';
import { ensureTable } from '../../shared/sessions/ensure-table.js';
import type { Session } from '../../shared/sessions/types.js';
import { FakeCloudFormation } from '../helpers/fakes/cloudformation.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0);
const HOUR = 3600_000;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function session(user: string, provider = 'pocketid', portal = 'main', createdAt = T0): Session {
  return {
    portal,
    provider,
    profile: { id: user, name: { full: user } },
    createdAt,
    expiresAt: createdAt + 2 * HOUR,
    device: { userAgent: `Mozilla/5.0 (${user}'s laptop)`, ip: '192.0.2.7' },
  };
}

function client(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
}

/** Runs the CLI in-process and captures what it prints. */
async function admin(args: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: AdminIO = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { ...process.env },
    cwd,
    now: () => T0 + HOUR,
  };
  const code = await runAdmin(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Seeds a table with sessions (one of them expired) and returns their tokens. */
async function seed(endpoint: string, table = 'tfa-sessions'): Promise<Record<string, string>> {
  const c = client(endpoint);
  await ensureTable(c, table);
  const store = new DynamoStore(c, table);
  const tokens = {
    alice: await store.create(session('alice'), { idToken: 'eyJ.secret-id-token.x', refreshToken: 'secret-rt' }),
    aliceTablet: await store.create(session('alice', 'pocketid', 'main', T0 + 60_000)),
    aliceGithub: await store.create(session('alice', 'github')),
    bob: await store.create(session('bob')),
    bobOtherPortal: await store.create(session('bob', 'pocketid', 'second')),
    expired: await store.create({ ...session('carol'), expiresAt: T0 + 1000 }),
  };
  c.destroy();
  return tokens;
}

describe('tfa-admin sessions against the embedded store on disk (--data-dir)', () => {
  let dir: string;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tfa-admin-'));
    const db = await startEmbeddedDynamoDB(dir);
    tokens = await seed(db.endpoint);
    await db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists live sessions with short id, user, provider, times, IP and user agent, and never a token', async () => {
    const res = await admin(['sessions', 'list', '--data-dir', dir]);

    expect(res.code).toBe(0);
    const lines = res.out.split('\n');
    expect(lines[0]).toMatch(/^ID\s+PORTAL\s+PROVIDER\s+USER\s+CREATED\s+EXPIRES\s+IP\s+USER AGENT$/);
    expect(lines).toHaveLength(7);
    expect(lines[6]).toBe('5 sessions');
    expect(res.out).toContain(sha256(tokens.bob as string).slice(0, 12));
    expect(res.out).toContain(
      "2026-06-01T12:00:00.000Z  2026-06-01T14:00:00.000Z  192.0.2.7  Mozilla/5.0 (bob's laptop)",
    );
    expect(res.out).not.toContain('carol');
    for (const token of Object.values(tokens)) {
      expect(res.out).not.toContain(token);
      // Nor the full stored key: the id is a prefix only.
      expect(res.out).not.toContain(sha256(token));
    }
    expect(res.out).not.toMatch(/secret/);
  });

  it('filters by portal, provider and user, and prints JSON with --json', async () => {
    const res = await admin([
      'sessions',
      'list',
      '--data-dir',
      dir,
      '--portal',
      'main',
      '--provider',
      'pocketid',
      '--user',
      'alice',
      '--json',
    ]);

    expect(res.code).toBe(0);
    const list = JSON.parse(res.out) as Record<string, unknown>[];
    expect(list).toEqual([
      {
        id: sha256(tokens.alice as string).slice(0, 12),
        portal: 'main',
        provider: 'pocketid',
        user: 'alice',
        created: '2026-06-01T12:00:00.000Z',
        expires: '2026-06-01T14:00:00.000Z',
        ip: '192.0.2.7',
        userAgent: "Mozilla/5.0 (alice's laptop)",
      },
      {
        id: sha256(tokens.aliceTablet as string).slice(0, 12),
        portal: 'main',
        provider: 'pocketid',
        user: 'alice',
        created: '2026-06-01T12:01:00.000Z',
        expires: '2026-06-01T14:01:00.000Z',
        ip: '192.0.2.7',
        userAgent: "Mozilla/5.0 (alice's laptop)",
      },
    ]);
  });

  it('rejects a command line without a store, or with two, with exit code 2 and the usage', async () => {
    const none = await admin(['sessions', 'list']);
    const two = await admin(['sessions', 'list', '--data-dir', dir, '--stage', 'prod']);
    const unknown = await admin(['session', 'list', '--data-dir', dir]);

    expect(none.code).toBe(2);
    expect(none.err).toContain('choose one store: --data-dir, --table (with --region/--endpoint) or --stage');
    expect(none.err).toContain('Usage:');
    expect(two.code).toBe(2);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'session list'");
  });

  it('rejects revoke without a selector, with --user but no --provider, or with a too short id', async () => {
    const none = await admin(['sessions', 'revoke', '--data-dir', dir]);
    const noProvider = await admin(['sessions', 'revoke', '--user', 'alice', '--data-dir', dir]);
    const short = await admin(['sessions', 'revoke', '--session', 'ab', '--data-dir', dir]);

    expect(none.code).toBe(2);
    expect(none.err).toContain('revoke needs either --session <id-prefix> or --user and --provider');
    expect(noProvider.code).toBe(2);
    expect(noProvider.err).toContain('revoke --user needs --provider too');
    expect(short.code).toBe(2);
    expect(short.err).toContain('--session needs at least 4 characters');
  });

  it("revokes every session of a user at one provider, leaving the user's other provider alone", async () => {
    const res = await admin(['sessions', 'revoke', '--user', 'alice', '--provider', 'pocketid', '--data-dir', dir]);

    expect(res.code).toBe(0);
    expect(res.out).toContain('2 sessions revoked');
    const left = JSON.parse((await admin(['sessions', 'list', '--data-dir', dir, '--json'])).out) as { user: string }[];
    expect(left.map((s) => s.user).sort()).toEqual(['alice', 'bob', 'bob']);
  });

  it('revokes one session by a prefix of its id, and answers 1 when nothing matches', async () => {
    const id = sha256(tokens.bob as string).slice(0, 8);

    const res = await admin(['sessions', 'revoke', '--session', id, '--data-dir', dir]);
    const again = await admin(['sessions', 'revoke', '--session', id, '--data-dir', dir]);

    expect(res.code).toBe(0);
    expect(res.out).toContain(
      `Revoked ${sha256(tokens.bob as string).slice(0, 12)} (portal main, provider pocketid, user bob)`,
    );
    expect(again.code).toBe(1);
    expect(again.err).toBe('tfa-admin: no session matches');
    const left = JSON.parse((await admin(['sessions', 'list', '--data-dir', dir, '--json'])).out) as {
      portal: string;
    }[];
    expect(left.map((s) => s.portal).sort()).toEqual(['main', 'second']);
  });

  it('says the table does not exist when the directory holds no sessions table', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tfa-admin-empty-'));
    try {
      const res = await admin(['sessions', 'list', '--data-dir', empty]);

      expect(res.code).toBe(1);
      expect(res.err).toBe(
        `tfa-admin: the sessions table does not exist: table tfa-sessions in the embedded store in ${empty}`,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('tfa-admin sessions against a DynamoDB endpoint (dynalite) and a deployed stage', () => {
  let db: EmbeddedDynamoDB;
  let tokens: Record<string, string>;
  const cfn = new FakeCloudFormation();

  beforeAll(async () => {
    db = await startEmbeddedDynamoDB();
    tokens = await seed(db.endpoint, 'TfaServerless-prod-Sessions-ABC');
    await cfn.start();
    cfn.putStack('TfaServerless-prod', { TableName: 'TfaServerless-prod-Sessions-ABC', ApiUrl: 'https://x' });
  });
  afterAll(async () => {
    await db.close();
    await cfn.stop();
  });
  afterEach(() => vi.unstubAllEnvs());

  it('lists and revokes through --table and --endpoint', async () => {
    const store = ['--table', 'TfaServerless-prod-Sessions-ABC', '--endpoint', db.endpoint, '--region', 'eu-west-1'];
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'x');

    const before = await admin(['sessions', 'list', ...store, '--user', 'bob']);
    const revoked = await admin([
      'sessions',
      'revoke',
      '--user',
      'bob',
      '--provider',
      'pocketid',
      '--portal',
      'second',
      ...store,
    ]);
    const after = await admin(['sessions', 'list', ...store, '--user', 'bob', '--json']);

    expect(before.code).toBe(0);
    expect(before.out.split('\n').at(-1)).toBe('2 sessions');
    expect(revoked.out).toContain('1 session revoked');
    expect((JSON.parse(after.out) as { id: string }[]).map((s) => s.id)).toEqual([
      sha256(tokens.bob as string).slice(0, 12),
    ]);
  });

  it("finds a stage's table from cdk.json and the stack's TableName output (--stage)", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tfa-admin-cdk-'));
    writeFileSync(
      join(cwd, 'cdk.json'),
      JSON.stringify({
        context: { 'tfa:stages': { prod: { region: 'eu-west-1', configFile: 'tfa-config.prod.yaml' } } },
      }),
    );
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'x');
    vi.stubEnv('AWS_ENDPOINT_URL_CLOUDFORMATION', cfn.url);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', db.endpoint);
    try {
      const res = await admin(['sessions', 'list', '--stage', 'prod', '--json'], cwd);
      const unknown = await admin(['sessions', 'list', '--stage', 'staging'], cwd);

      expect(res.err).toBe('');
      expect(res.code).toBe(0);
      expect((JSON.parse(res.out) as unknown[]).length).toBeGreaterThan(0);
      expect(new URLSearchParams(cfn.requests.at(-1)?.body).get('StackName')).toBe('TfaServerless-prod');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain("unknown stage 'staging'");
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('npx tfa-admin', () => {
  it('runs the CLI through the package bin and exits 0 with --help', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'tfa-admin', '--help'], {
      cwd: ROOT,
      timeout: 60_000,
    });

    expect(stdout).toContain('tfa-admin sessions list');
  });
});
