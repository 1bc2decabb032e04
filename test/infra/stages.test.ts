/**
 * Multi-account deployment: two stages from cdk.json-style context, in different accounts and regions, synthesized in
 * one app under cdk-nag. One imports a client secret from another account with its KMS key; the other replicates the
 * sessions table to more regions. Then stage selection: stages.local.json, and stages still holding placeholders.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addAwsSolutionsChecks } from '../../infra/nag.js';
import { ForwardAuthStack } from '../../infra/stack.js';
import { EXAMPLE_CONFIG, LOCAL_STAGES_FILE, resolveStage, STAGES_CONTEXT_KEY, StageError } from '../../infra/stages.js';
import { actionsOf, roleStatements, writeConfig } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SHARED_SECRET = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:shared/pocket-id-client-AbC123';
const SHARED_KEY = 'arn:aws:kms:eu-west-1:222222222222:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

function pocketId(extra: object, domain = 'example.com') {
  return {
    server: { domains: [{ domain, authHost: `auth.${domain}` }] },
    portals: [
      { name: 'main', providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', ...extra } }] },
    ],
  };
}

const dir = mkdtempSync(join(tmpdir(), 'tfa-stages-'));
const STAGES = {
  prod: {
    account: '210987654321',
    region: 'eu-west-1',
    configFile: writeConfig(
      pocketId({ clientSecretArn: SHARED_SECRET, clientSecretKmsKeyArn: SHARED_KEY }, 'acme-corp.com'),
      mkdtempSync(join(dir, 'p')),
    ),
    domain: { name: 'auth.acme-corp.com', certificateArn: 'arn:aws:acm:eu-west-1:210987654321:certificate/abc' },
  },
  dr: {
    account: '309876543210',
    region: 'us-east-1',
    configFile: writeConfig(pocketId({}), mkdtempSync(join(dir, 'd'))),
    replicaRegions: ['us-west-2', 'eu-central-1'],
    removalPolicy: 'destroy',
    logRetentionDays: 90,
    // Changing the limits from cdk.json: one key each, the rest keep their defaults.
    limits: {
      loginThrottle: { rateLimit: 5 },
      reservedConcurrency: { verify: false, login: 3 },
      tableMaxWriteRequestUnits: 50,
    },
    alarmTopicArn: 'arn:aws:sns:us-east-1:309876543210:tfa-alarms',
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
      '210987654321',
      'eu-west-1',
    ]);
    expect([drStack.stackName, drStack.account, drStack.region]).toEqual([
      'TfaServerless-dr',
      '309876543210',
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

describe('limits from the stage (dr)', () => {
  it('applies the overridden keys and keeps the defaults of the others', () => {
    const stage = Object.values(dr.findResources('AWS::ApiGatewayV2::Stage'))[0]?.Properties as Record<string, unknown>;
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 2000, ThrottlingRateLimit: 1000 });
    expect(Object.values(stage.RouteSettings as object)).toEqual([
      { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 50 },
      { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 50 },
    ]);
    const reserved = Object.entries(dr.findResources('AWS::Lambda::Function'))
      .filter(([id]) => /^ForwardAuth(Verify|Login|Callback)Function/.test(id))
      .map(([id, r]) => `${id.replace(/Function.*$/, '')} ${r.Properties.ReservedConcurrentExecutions}`);
    expect(reserved).toEqual(['ForwardAuthVerify undefined', 'ForwardAuthLogin 3', 'ForwardAuthCallback 10']);
    dr.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      WriteOnDemandThroughputSettings: { MaxWriteRequestUnits: 50 },
    });
  });

  it('notifies the SNS topic on ALARM and OK, and has no concurrency alarm for verify without a reservation', () => {
    const topic = STAGES.dr.alarmTopicArn;
    const alarms = Object.entries(dr.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map(([id]) => id.replace(/^ForwardAuth(\w+Alarm).*$/, '$1'))).toEqual([
      'VerifyThrottlesAlarm',
      'LoginThrottlesAlarm',
      'LoginConcurrencyAlarm',
      'CallbackThrottlesAlarm',
      'CallbackConcurrencyAlarm',
      'TableThrottlesAlarm',
      'TableWriteUnitsAlarm',
    ]);
    for (const [, a] of alarms) expect(a.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
    dr.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ConsumedWriteCapacityUnits',
      Threshold: 50 * 60 * 0.8,
    });
    dr.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ConcurrentExecutions', Threshold: 2 });
  });

  it('rejects limits AWS would refuse, and an ARN that is not an SNS topic, naming the key', () => {
    const bad = {
      prod: {
        configFile: 'x.yaml',
        limits: { reservedConcurrency: { verify: 0 }, apiThrottle: { burstLimit: 1.5 } },
        alarmTopicArn: 'arn:aws:sqs:eu-west-1:111111111111:q',
      },
    };
    expect(() => resolveStage('prod', bad, {}, dir)).toThrow(
      /^invalid stage 'prod' in cdk.json:\n {2}- tfa:stages\.prod\.limits\.apiThrottle\.burstLimit: .*\n {2}- tfa:stages\.prod\.limits\.reservedConcurrency\.verify: .*\n {2}- tfa:stages\.prod\.alarmTopicArn: must be an SNS topic ARN$/s,
    );
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
      new StageError(
        "unknown stage 'staging': define it in stages.local.json or in cdk.json under context 'tfa:stages' (known: prod, dr)",
      ),
    );
  });

  it('rejects an invalid stage with every problem and its context key path', () => {
    const bad = { prod: { account: '1234', region: 'Europe', configFile: 'x.yaml', colour: 'blue' } };
    expect(() => resolveStage('prod', bad, {}, dir)).toThrow(
      /^invalid stage 'prod' in cdk.json:\n {2}- tfa:stages\.prod\.account: must be a 12-digit AWS account id\n {2}- tfa:stages\.prod\.region: must be an AWS region such as eu-west-1\n.*colour/s,
    );
  });

  it('synthesizes the example stage shipped in cdk.json, and refuses its prod template, naming every placeholder', () => {
    const cdkJson: { context: Record<string, Record<string, unknown>> } = JSON.parse(
      readFileSync(join(ROOT, 'cdk.json'), 'utf8'),
    );
    const stages = cdkJson.context[STAGES_CONTEXT_KEY];
    // An empty directory: a developer's own stages.local.json must not change what this test reads.
    const cwd = mkdtempSync(join(tmpdir(), 'tfa-stages-shipped-'));
    expect(Object.keys(stages ?? {})).toEqual(['example', 'prod']);

    expect(resolveStage('example', stages, {}, cwd).name).toBe('example');
    expect(() => resolveStage('prod', stages, {}, cwd)).toThrow(
      new StageError(
        [
          "stage 'prod' in cdk.json still holds placeholder values; replace them, preferably in stages.local.json (which git ignores):",
          "  - tfa:stages.prod.account: '111111111111' is a placeholder; your 12-digit AWS account id",
          "  - tfa:stages.prod.domain.name: 'auth.example.com' is a placeholder; the authHost browsers sign in at",
          "  - tfa:stages.prod.domain.certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000' is a placeholder; the ARN of the ACM certificate for domain.name, in the stage's region",
          "  - tfa:stages.prod.domain.hostedZoneId: 'Z0000000000000000000' is a placeholder; the id of your Route 53 hosted zone, or leave it out",
          "  - tfa:stages.prod.domain.hostedZoneName: 'example.com' is a placeholder; the name of that hosted zone",
        ].join('\n'),
      ),
    );
    // What cfn-lint checks: the template the example would give once filled in.
    expect(resolveStage('prod', stages, {}, cwd, { allowPlaceholders: true }).props.env).toEqual({
      account: '111111111111',
      region: 'eu-west-1',
    });
  });

  it('passes dashboard: true on to the construct, and refuses a non-boolean', () => {
    const stage = (dashboard: unknown) => ({ ops: { configFile: 'x.yaml', dashboard } });
    expect(resolveStage('ops', stage(true), {}, dir).props.dashboard).toBe(true);
    expect(() => resolveStage('ops', stage('yes'), {}, dir)).toThrow(
      /tfa:stages\.ops\.dashboard: Invalid input: expected boolean, received string/,
    );
  });

  it("flags AWS's documentation account id as a placeholder, and no real-looking one", () => {
    const stage = (account: string) => ({ prod: { account, configFile: 'x.yaml' } });
    expect(() => resolveStage('prod', stage('123456789012'), {}, dir)).toThrow(
      "tfa:stages.prod.account: '123456789012' is a placeholder",
    );
    expect(resolveStage('prod', stage('123456789013'), {}, dir).props.env?.account).toBe('123456789013');
  });
});

describe('stages.local.json', () => {
  const local = (stages: unknown) => {
    const cwd = mkdtempSync(join(tmpdir(), 'tfa-stages-local-'));
    writeFileSync(join(cwd, LOCAL_STAGES_FILE), typeof stages === 'string' ? stages : JSON.stringify(stages));
    return cwd;
  };

  it("replaces cdk.json's stage of the same name as a whole, and leaves the other stages to cdk.json", () => {
    const cwd = local({ prod: { account: '210987654321', region: 'eu-west-2', configFile: 'tfa-config.prod.yaml' } });
    const context = { prod: { account: '111111111111', configFile: 'x.yaml', memorySize: 2048 }, dr: STAGES.dr };

    const prod = resolveStage('prod', context, {}, cwd);
    const dr = resolveStage('dr', context, {}, cwd);

    expect(prod.props).toMatchObject({
      env: { account: '210987654321', region: 'eu-west-2' },
      configFile: join(cwd, 'tfa-config.prod.yaml'),
    });
    expect(prod.props.memorySize).toBeUndefined();
    expect(dr.props.env).toEqual({ account: '309876543210', region: 'us-east-1' });
  });

  it('defines stages with no cdk.json context at all, and lists them among the known ones', () => {
    const cwd = local({ staging: { configFile: 'tfa-config.staging.yaml' } });

    expect(resolveStage('staging', undefined, {}, cwd).stackName).toBe('TfaServerless-staging');
    expect(() => resolveStage('qa', { prod: STAGES.prod }, {}, cwd)).toThrow('(known: staging, prod)');
  });

  it('names the file and the key path in its own terms when a local stage is invalid or a placeholder', () => {
    const invalid = local({ prod: { region: 'Europe', configFile: 'x.yaml' } });
    const placeholder = local({ prod: { account: '111111111111', configFile: 'x.yaml' } });

    expect(() => resolveStage('prod', undefined, {}, invalid)).toThrow(
      new StageError(
        "invalid stage 'prod' in stages.local.json:\n  - prod.region: must be an AWS region such as eu-west-1",
      ),
    );
    expect(() => resolveStage('prod', undefined, {}, placeholder)).toThrow(
      "stage 'prod' in stages.local.json still holds placeholder values; replace them:\n  - prod.account: '111111111111' is a placeholder",
    );
  });

  it('refuses a file that is not JSON, or not an object of stages, naming it', () => {
    const broken = local('{ "prod": ');
    const list = local('[]');

    expect(() => resolveStage('prod', undefined, {}, broken)).toThrow(join(broken, LOCAL_STAGES_FILE));
    expect(() => resolveStage('prod', undefined, {}, list)).toThrow(
      new StageError('stages.local.json must be an object of stages'),
    );
  });

  it('is ignored by git', () => {
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain(`/${LOCAL_STAGES_FILE}`);
  });
});
