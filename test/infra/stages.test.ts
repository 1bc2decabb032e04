/**
 * Multi-account deployment: two stages from cdk.json-style context, in different accounts and regions, synthesized in
 * one app under cdk-nag. One imports a client secret from another account with its KMS key; the other replicates the
 * sessions table to more regions.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addAwsSolutionsChecks } from '../../infra/nag.js';
import { ForwardAuthStack } from '../../infra/stack.js';
import { EXAMPLE_CONFIG, resolveStage, STAGES_CONTEXT_KEY, StageError } from '../../infra/stages.js';
import { actionsOf, roleStatements, writeConfig } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SHARED_SECRET = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:shared/pocket-id-client-AbC123';
const SHARED_KEY = 'arn:aws:kms:eu-west-1:222222222222:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

function pocketId(extra: object) {
  return {
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    portals: [
      { name: 'main', providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', ...extra } }] },
    ],
  };
}

const dir = mkdtempSync(join(tmpdir(), 'tfa-stages-'));
const STAGES = {
  prod: {
    account: '111111111111',
    region: 'eu-west-1',
    configFile: writeConfig(
      pocketId({ clientSecretArn: SHARED_SECRET, clientSecretKmsKeyArn: SHARED_KEY }),
      mkdtempSync(join(dir, 'p')),
    ),
    domain: { name: 'auth.example.com', certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc' },
  },
  dr: {
    account: '333333333333',
    region: 'us-east-1',
    configFile: writeConfig(pocketId({}), mkdtempSync(join(dir, 'd'))),
    replicaRegions: ['us-west-2', 'eu-central-1'],
    removalPolicy: 'destroy',
    logRetentionDays: 90,
  },
};

let prod: Template;
let dr: Template;
let prodStack: ForwardAuthStack;
let drStack: ForwardAuthStack;
let outdir: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'tfa-cdk-out-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false, context: { [STAGES_CONTEXT_KEY]: STAGES } });
  const stacks = ['prod', 'dr'].map((name) => {
    const stage = resolveStage(name, app.node.tryGetContext(STAGES_CONTEXT_KEY), {}, ROOT);
    return new ForwardAuthStack(app, stage.stackName, stage.props);
  });
  [prodStack, drStack] = stacks as [ForwardAuthStack, ForwardAuthStack];
  addAwsSolutionsChecks(app);
  app.synth();
  prod = Template.fromStack(prodStack);
  dr = Template.fromStack(drStack);
}, 120_000);

describe('two stages in two accounts and regions', () => {
  it('targets each stage at its own account and region, with no cdk-nag finding in either', () => {
    expect([prodStack.stackName, prodStack.account, prodStack.region]).toEqual([
      'TfaServerless-prod',
      '111111111111',
      'eu-west-1',
    ]);
    expect([drStack.stackName, drStack.account, drStack.region]).toEqual([
      'TfaServerless-dr',
      '333333333333',
      'us-east-1',
    ]);
    const report: { pluginReports: { violations: unknown[] }[] } = JSON.parse(
      readFileSync(join(outdir, 'validation-report.json'), 'utf8'),
    );
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });
});

describe('a client secret in another account (prod)', () => {
  it('imports it: the stack creates no secret', () => {
    prod.resourceCountIs('AWS::SecretsManager::Secret', 0);
    prod.resourceCountIs('AWS::KMS::Key', 0);
  });

  it('lets the callback read exactly that secret and decrypt with its key only through Secrets Manager', () => {
    const statements = roleStatements(prod, 'ForwardAuthCallbackRole');
    const read = statements.find((s) => actionsOf([s]).includes('secretsmanager:GetSecretValue'));
    expect(read?.Resource).toBe(SHARED_SECRET);
    const decrypt = statements.find((s) => actionsOf([s]).includes('kms:Decrypt'));
    expect(decrypt).toEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: SHARED_KEY,
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    });
  });

  it('gives neither verify nor login any secret or key permission', () => {
    for (const role of ['ForwardAuthVerifyRole', 'ForwardAuthLoginRole'])
      expect(actionsOf(roleStatements(prod, role)).filter((a) => /^(secretsmanager|kms|sts):/.test(a))).toEqual([]);
  });

  it("prints the callback role for the other account's policies, and no put-secret-value command", () => {
    prod.hasOutput('CallbackRoleArn', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ForwardAuthCallbackRole'), 'Arn'] },
    });
    expect(prod.findOutputs('PutSecretCommand1')).toEqual({});
  });
});

describe('a multi-region table (dr)', () => {
  it('replicates the sessions table to the extra regions, each with point-in-time recovery', () => {
    dr.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: Match.arrayWith(
        ['us-west-2', 'eu-central-1', 'us-east-1'].map((Region) =>
          Match.objectLike({ Region, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
        ),
      ),
    });
    const [table] = Object.values(dr.findResources('AWS::DynamoDB::GlobalTable'));
    expect((table?.Properties as { Replicas?: unknown[] } | undefined)?.Replicas).toHaveLength(3);
  });

  it('applies the stage removal policy and log retention', () => {
    dr.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    dr.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    dr.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('grants table access in the stack region only (the functions do not run in the replica regions)', () => {
    const statement = roleStatements(dr, 'ForwardAuthVerifyRole').find((s) =>
      actionsOf([s]).includes('dynamodb:GetItem'),
    );
    expect(statement?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ForwardAuthSessions/), 'Arn'] });
  });
});

describe('stage selection', () => {
  it('deploys tfa-config.yaml to the CLI account and region without -c stage, and the example when there is none', () => {
    const env = { CDK_DEFAULT_ACCOUNT: '444444444444', CDK_DEFAULT_REGION: 'ap-southeast-2' };
    const stage = resolveStage(undefined, STAGES, env, dir);
    expect(stage).toMatchObject({ name: 'default', stackName: 'TfaServerless', usingExample: true });
    expect(stage.props.configFile).toBe(join(dir, EXAMPLE_CONFIG));
    expect(stage.props.env).toEqual({ account: '444444444444', region: 'ap-southeast-2' });
    const own = resolveStage(undefined, STAGES, { ...env, TFA_CONFIG: '/etc/tfa.yaml' }, dir);
    expect(own).toMatchObject({ usingExample: false, props: { configFile: '/etc/tfa.yaml' } });
  });

  it('rejects an unknown stage, naming the known ones', () => {
    expect(() => resolveStage('staging', STAGES, {}, dir)).toThrow(
      new StageError("unknown stage 'staging': define it in cdk.json under context 'tfa:stages' (known: prod, dr)"),
    );
  });

  it('rejects an invalid stage with every problem and its context key path', () => {
    const bad = { prod: { account: '1234', region: 'Europe', configFile: 'x.yaml', colour: 'blue' } };
    expect(() => resolveStage('prod', bad, {}, dir)).toThrow(
      /tfa:stages\.prod\.account: must be a 12-digit AWS account id\n.*tfa:stages\.prod\.region: must be an AWS region such as eu-west-1\n.*colour/s,
    );
  });

  it('accepts every stage shipped in cdk.json', () => {
    const cdkJson: { context: Record<string, Record<string, unknown>> } = JSON.parse(
      readFileSync(join(ROOT, 'cdk.json'), 'utf8'),
    );
    const stages = cdkJson.context[STAGES_CONTEXT_KEY] ?? {};
    expect(Object.keys(stages).length).toBeGreaterThan(0);
    for (const name of Object.keys(stages)) expect(resolveStage(name, stages, {}, ROOT).name).toBe(name);
  });
});
