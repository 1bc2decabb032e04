/**
 * The synthesized stack of one stage: resources, IAM exactly as narrow as the route split needs, outputs, no secret
 * anywhere in the cloud assembly, cdk-nag and CloudFormation's own template validation.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, Errors } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { addAwsSolutionsChecks } from '../../infra/nag.js';
import { DEFAULT_IDENTITY_HEADERS } from '../../infra/outputs.js';
import { ForwardAuthStack } from '../../infra/stack.js';
import { identityHeaders } from '../../shared/routes/identity-header-values.js';
import { TABLE } from '../../shared/sessions/table.js';
import { renderRecipe } from '../e2e/harness/recipes.js';
import { catchError } from '../helpers/catch-error.js';
import { actionsOf, filesContaining, filesUnder, joinValue, roleStatements, writeConfig } from './helpers.js';

const KNOWN_SECRET = 'synth-must-never-see-this-7f3a9c1e5b2d';

const CONFIG = {
  server: {
    domains: [
      { domain: 'example.com', authHost: 'auth.example.com' },
      { domain: 'example.org', authHost: 'login.example.org' },
    ],
  },
  defaultPortal: 'main',
  portals: [
    { name: 'main', providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'client-main' } }] },
    {
      name: 'ops',
      stripAuthCookies: false,
      headers: [
        { name: 'X-User', claim: 'id' },
        { name: 'X-Groups', claim: 'groups' },
      ],
      providers: [
        { pocketID: { endpoint: 'https://id.example.com', clientID: 'client-ops', clientAssertion: 'AwsWebIdentity' } },
      ],
    },
  ],
};

let outdir: string;
let stack: ForwardAuthStack;
let template: Template;
let synthError: unknown;

beforeAll(() => {
  // The secret exists on the synthesizing machine (environment, a file next to the config): none of it may leak.
  const configFile = writeConfig(CONFIG);
  writeFileSync(join(dirname(configFile), 'client-secret.txt'), KNOWN_SECRET);
  process.env.POCKET_ID_CLIENT_SECRET = KNOWN_SECRET;

  outdir = mkdtempSync(join(tmpdir(), 'tfa-cdk-out-'));
  // CloudFormation's built-in template validation, with its findings as errors (infra/app.ts skips it for speed).
  const app = new App({ outdir, context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  stack = new ForwardAuthStack(app, 'TfaServerless-main', {
    env: { account: '111111111111', region: 'eu-west-1' },
    configFile,
    domainName: 'auth.example.com',
    certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/11111111-2222-3333-4444-555555555555',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    hostedZoneName: 'example.com',
  });
  addAwsSolutionsChecks(app);
  try {
    app.synth();
  } catch (err) {
    synthError = err;
  }
  template = Template.fromStack(stack);
  // Synthesis with CloudFormation's validation takes ~10 s of CPU; allow for a busy machine.
}, 120_000);

describe('validation', () => {
  it('has no unacknowledged cdk-nag AwsSolutions finding and passes CloudFormation template validation', () => {
    const report: { pluginReports: { pluginName: string; violations: unknown[] }[] } = JSON.parse(
      readFileSync(join(outdir, 'validation-report.json'), 'utf8'),
    );
    expect(report.pluginReports.flatMap((r) => r.violations.map((v) => ({ plugin: r.pluginName, v })))).toEqual([]);
    expect(synthError).toBeUndefined();
  });
});

describe('the sessions table', () => {
  it('matches shared/sessions/table.ts: pk, TTL attribute and the keys-only byUser index', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: TABLE.partitionKey, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: TABLE.userIndex,
          KeySchema: [
            { AttributeName: TABLE.userIndexPartitionKey, KeyType: 'HASH' },
            { AttributeName: TABLE.userIndexSortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TABLE.userIndexPartitionKey, AttributeType: 'S' },
        { AttributeName: TABLE.userIndexSortKey, AttributeType: 'N' },
      ]),
      Replicas: [
        Match.objectLike({
          Region: 'eu-west-1',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
  });

  it('is retained when the stack is deleted, by default', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('the functions', () => {
  it('are three nodejs24.x arm64 functions with JSON logs, each in its own log group with a retention', () => {
    template.resourceCountIs('AWS::Lambda::Function', 3);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: { LogFormat: 'JSON', LogGroup: Match.anyValue() },
      // Only the table name and source-mapped stack traces: no secret, no config in the environment.
      Environment: {
        Variables: {
          TFA_TABLE_NAME: { Ref: Match.stringLikeRegexp('^ForwardAuthSessions') },
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.resourceCountIs('AWS::Logs::LogGroup', 4);
  });

  it("drops Lambda's per-invocation platform lines on verify only (system log level WARN)", () => {
    const fns = template.findResources('AWS::Lambda::Function');
    const levels = Object.values(fns).map((f) => [
      String(f.Properties.Description).split(':')[0],
      f.Properties.LoggingConfig.SystemLogLevel,
    ]);
    expect(levels.sort()).toEqual([
      ['tfa-serverless callback', undefined],
      ['tfa-serverless login', undefined],
      ['tfa-serverless verify', 'WARN'],
    ]);
  });

  it('gives verify a Function URL with auth NONE, invocable only through the URL', () => {
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ForwardAuthVerifyFunction'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: '*',
      InvokedViaFunctionUrl: true,
    });
  });

  it('stages every chunk a bundle loads beside its index.mjs, each with its source map', () => {
    const assets = filesUnder(outdir).filter((f) => f.endsWith('/index.mjs'));
    expect(assets).toHaveLength(3);
    for (const index of assets) {
      const dir = dirname(index);
      const chunkImports = [...readFileSync(index, 'utf8').matchAll(/["']\.\/(chunks\/[\w-]+\.mjs)["']/g)];
      expect(chunkImports.length).toBeGreaterThan(0);
      for (const [, chunk] of chunkImports) {
        expect(existsSync(join(dir, chunk ?? ''))).toBe(true);
        expect(existsSync(join(dir, `${chunk}.map`))).toBe(true);
      }
      expect(existsSync(`${index}.map`)).toBe(true);
    }
  });

  it('bundles each function with a config.json that references secrets and holds none', () => {
    const configs = filesUnder(outdir).filter((f) => f.endsWith('/config.json'));
    expect(configs).toHaveLength(3);
    for (const f of configs) {
      const { config } = JSON.parse(readFileSync(f, 'utf8'));
      expect(config.portals[0].providers[0].clientSecret).toEqual({
        kind: 'secretsManager',
        secretId: 'TfaServerless-main/ForwardAuth/main/pocketid',
      });
      expect(config.portals[1].providers[0].clientAssertion).toBe('AwsWebIdentity');
    }
  });

  it('ships each bundle with its source map, next to index.mjs', () => {
    const bundles = filesUnder(outdir).filter((f) => f.endsWith('/index.mjs'));
    expect(bundles).toHaveLength(3);
    for (const f of bundles) expect(filesUnder(dirname(f))).toContain(`${f}.map`);
  });
});

describe('IAM', () => {
  /** The DynamoDB statements of a role: actions, the resource as a string, and the LeadingKeys patterns. */
  function tableStatements(rolePrefix: string) {
    return roleStatements(template, rolePrefix)
      .filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')))
      .map((s) => ({
        actions: actionsOf([s]).sort(),
        resource: joinValue(s.Resource, (r) => (JSON.stringify(r).includes('ForwardAuthSessions') ? 'TABLE' : '?')),
        condition: s.Condition,
      }));
  }
  const keys = (...patterns: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns } });
  const USERS = keys('main#pocketid#*', 'ops#pocketid#*');

  it('lets verify only GetItem session keys (s#): no write, no login state, no index, no secret, no KMS, no STS', () => {
    const statements = roleStatements(template, 'ForwardAuthVerifyRole');
    expect(actionsOf(statements).sort()).toEqual(['dynamodb:GetItem', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    // The table itself: not its replicas' ARNs, not `<table>/index/*`.
    expect(tableStatements('ForwardAuthVerifyRole')).toEqual([
      { actions: ['dynamodb:GetItem'], resource: 'TABLE', condition: keys('s#*') },
    ]);
  });

  it("lets login read and delete sessions (s#), put login states (l#) and query its providers' users, nothing secret", () => {
    const statements = roleStatements(template, 'ForwardAuthLoginRole');
    expect(actionsOf(statements).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(tableStatements('ForwardAuthLoginRole')).toEqual([
      {
        actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem'],
        resource: 'TABLE',
        condition: keys('s#*'),
      },
      { actions: ['dynamodb:PutItem'], resource: 'TABLE', condition: keys('l#*') },
      { actions: ['dynamodb:Query'], resource: `TABLE/index/${TABLE.userIndex}`, condition: USERS },
    ]);
  });

  it('lets the callback get/delete login states (l#), put sessions (s#) and back-channel records (i#, j#) only', () => {
    // Session renewal (P/oauth2/renew) adds: get and update sessions, put login states (prompt=none).
    expect(tableStatements('ForwardAuthCallbackRole')).toEqual([
      { actions: ['dynamodb:GetItem'], resource: 'TABLE', condition: keys('l#*', 's#*') },
      { actions: ['dynamodb:DeleteItem'], resource: 'TABLE', condition: keys('l#*', 's#*', 'i#*') },
      { actions: ['dynamodb:PutItem'], resource: 'TABLE', condition: keys('s#*', 'j#*', 'l#*') },
      { actions: ['dynamodb:UpdateItem'], resource: 'TABLE', condition: keys('i#*', 's#*') },
      { actions: ['dynamodb:BatchGetItem'], resource: 'TABLE', condition: keys('s#*') },
      { actions: ['dynamodb:Query'], resource: `TABLE/index/${TABLE.userIndex}`, condition: USERS },
    ]);
  });

  it('lets only the callback read the created secret and mint web-identity tokens for its audience', () => {
    const statements = roleStatements(template, 'ForwardAuthCallbackRole');
    expect(actionsOf(statements).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'sts:GetWebIdentityToken',
    ]);
    const secret = statements.find((s) => actionsOf([s]).includes('secretsmanager:GetSecretValue'));
    expect(secret?.Resource).toEqual({ Ref: expect.stringMatching(/^ForwardAuthSecretmainpocketid/) });
    const sts = statements.find((s) => actionsOf([s]).includes('sts:GetWebIdentityToken'));
    expect(sts?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': ['https://id.example.com'] },
      StringEquals: { 'sts:SigningAlgorithm': ['ES384'] },
    });
  });

  it('attaches no managed policy to any role (no AWSLambdaBasicExecutionRole: each writes only its own logs)', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role')))
      expect((role.Properties as { ManagedPolicyArns?: unknown }).ManagedPolicyArns).toBeUndefined();
  });
});

describe('secrets', () => {
  it('creates one secret per provider without a credential, with a generated placeholder and no value in the template', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'TfaServerless-main/ForwardAuth/main/pocketid',
      SecretString: Match.absent(),
      GenerateSecretString: {},
    });
  });

  it('never writes a secret known to the synthesizing machine into any file of the cloud assembly', () => {
    expect(filesUnder(outdir).length).toBeGreaterThan(5);
    expect(filesContaining(outdir, KNOWN_SECRET)).toEqual([]);
    expect(filesContaining(outdir, '"kind": "inline"')).toEqual([]);
  });
});

describe('the HTTP API', () => {
  it('routes the check, the bearer API, the health check and the JWKS to verify, the callback to callback, the rest to login', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => {
      const p = r.Properties as { RouteKey: string; Target: unknown };
      return [
        p.RouteKey,
        JSON.stringify(p.Target).match(/ForwardAuthHttpApi\w*?(verify|login|callback)integration/)?.[1],
      ];
    });
    expect(Object.fromEntries(routes)).toEqual({
      $default: 'login',
      'GET /portals/{portal}': 'verify',
      'GET /api/portals/{portal}/verify': 'verify',
      'GET /healthz': 'verify',
      'GET /portals/{portal}/oauth2/callback': 'callback',
      'GET /portals/{portal}/.well-known/jwks.json': 'verify',
      'GET /': 'verify',
      'GET /oauth2/callback': 'callback',
      'GET /.well-known/jwks.json': 'verify',
      'GET /portals/{portal}/oauth2/renew': 'callback',
      'GET /oauth2/renew': 'callback',
      'POST /portals/{portal}/oauth2/backchannel-logout': 'callback',
      'POST /oauth2/backchannel-logout': 'callback',
      // The provider start has its own route (to the default function) for its throttling.
      'GET /portals/{portal}/providers/{provider}': 'login',
      'GET /providers/{provider}': 'login',
    });
  });

  it('logs access and serves the custom domain with an alias record in the hosted zone', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'auth.example.com',
      DomainNameConfigurations: [
        Match.objectLike({ CertificateArn: Match.stringLikeRegexp('^arn:aws:acm:eu-west-1:') }),
      ],
    });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'auth.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
    });
  });
});

describe('outputs', () => {
  const outputs = () => template.toJSON().Outputs as Record<string, { Value: unknown }>;
  const value = (key: string) => joinValue(outputs()[key]?.Value, () => 'https://abc.lambda-url.eu-west-1.on.aws/');

  it('lists the callback URLs to register in Pocket ID, for every portal and auth host', () => {
    expect(value('CallbackUrls').split(' ')).toEqual([
      'https://auth.example.com/portals/main/oauth2/callback',
      'https://auth.example.com/oauth2/callback',
      'https://auth.example.com/portals/ops/oauth2/callback',
      'https://login.example.org/portals/main/oauth2/callback',
      'https://login.example.org/oauth2/callback',
      'https://login.example.org/portals/ops/oauth2/callback',
    ]);
  });

  it('names, for each provider, the exact redirect URIs to register at it', () => {
    expect(value('ProviderCallbackUrls1').split(' ')).toEqual([
      'https://auth.example.com/portals/main/oauth2/callback',
      'https://auth.example.com/oauth2/callback',
      'https://login.example.org/portals/main/oauth2/callback',
      'https://login.example.org/oauth2/callback',
    ]);
    expect(value('ProviderCallbackUrls2').split(' ')).toEqual([
      'https://auth.example.com/portals/ops/oauth2/callback',
      'https://login.example.org/portals/ops/oauth2/callback',
    ]);
    expect(
      (template.toJSON().Outputs as Record<string, { Description: string }>).ProviderCallbackUrls2?.Description,
    ).toBe("Register as redirect URI(s) at Pocket ID (portal 'ops', provider 'pocketid')");
  });

  it('names, for each provider with an end-session endpoint, the post-logout redirect URIs to register', () => {
    expect(value('ProviderPostLogoutUrls1').split(' ')).toEqual([
      'https://auth.example.com/portals/main/logged-out',
      'https://auth.example.com/logged-out',
      'https://login.example.org/portals/main/logged-out',
      'https://login.example.org/logged-out',
    ]);
    expect(value('ProviderPostLogoutUrls2').split(' ')).toEqual([
      'https://auth.example.com/portals/ops/logged-out',
      'https://login.example.org/portals/ops/logged-out',
    ]);
    expect(value('ProviderBackchannelLogoutUrls2').split(' ')).toEqual([
      'https://auth.example.com/portals/ops/oauth2/backchannel-logout',
      'https://login.example.org/portals/ops/oauth2/backchannel-logout',
    ]);
  });

  it('gives the verify URLs of the Function URL and of the API custom domain', () => {
    expect(value('VerifyFunctionUrls')).toBe(
      'https://abc.lambda-url.eu-west-1.on.aws/portals/main https://abc.lambda-url.eu-west-1.on.aws/portals/ops',
    );
    expect(value('VerifyApiUrls')).toBe('https://auth.example.com/portals/main https://auth.example.com/portals/ops');
  });

  it('prints a Traefik middleware per portal with trustForwardHeader, the identity headers and Cookie unless off', () => {
    expect(parse(value('TraefikMiddleware'))).toEqual({
      http: {
        middlewares: {
          'tfa-main': {
            forwardAuth: {
              address: 'https://abc.lambda-url.eu-west-1.on.aws/portals/main',
              trustForwardHeader: true,
              authResponseHeaders: ['X-Forwarded-User', 'X-Authenticated-User', 'X-Forwarded-Displayname', 'Cookie'],
              maxResponseBodySize: 65536,
            },
          },
          'tfa-ops': {
            forwardAuth: {
              address: 'https://abc.lambda-url.eu-west-1.on.aws/portals/ops',
              trustForwardHeader: true,
              authResponseHeaders: ['X-User', 'X-Groups'],
              maxResponseBodySize: 65536,
            },
          },
        },
      },
    });
  });

  it('prints for a default-headers portal exactly the tfa-main middleware that the Traefik e2e suite runs', () => {
    // Prepare: docs/recipes/traefik.dedicated.yml with the Function URL as the check address.
    const recipe = parse(
      renderRecipe('traefik.dedicated.yml', {
        APP_HOST: 'app.example.com',
        AUTH_HOST: 'auth.example.com',
        AUTH_ADDRESS: 'https://abc.lambda-url.eu-west-1.on.aws',
        PORTAL: 'main',
        AUTH_UPSTREAM: 'http://127.0.0.1:4181',
        APP_UPSTREAM: 'http://127.0.0.1:3000',
      }),
    );
    const sorted = (m: { forwardAuth: { authResponseHeaders: string[] } }) => ({
      forwardAuth: { ...m.forwardAuth, authResponseHeaders: [...m.forwardAuth.authResponseHeaders].sort() },
    });

    // Act
    const printed = parse(value('TraefikMiddleware')).http.middlewares['tfa-main'];

    // Assess (Traefik does not care about the order of authResponseHeaders)
    expect(sorted(printed)).toEqual(sorted(recipe.http.middlewares['tfa-main']));
  });

  it('prints the put-secret-value command for the created secret, without a value', () => {
    expect(value('PutSecretCommand1')).toBe(
      'aws secretsmanager put-secret-value --region eu-west-1 --secret-id https://abc.lambda-url.eu-west-1.on.aws/ --secret-string "$CLIENT_SECRET"',
    );
    expect(JSON.stringify(outputs().PutSecretCommand1?.Value)).toMatch(/"Ref":"ForwardAuthSecretmainpocketid/);
    expect(outputs().PutSecretCommand2).toBeUndefined();
  });

  it('prints the web-identity subject (callback role) and audience for the Pocket ID federated credential', () => {
    expect(outputs().WebIdentitySubject?.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^ForwardAuthCallbackRole/), 'Arn'],
    });
    expect(value('WebIdentityAudiences')).toBe('https://id.example.com');
    expect(value('WebIdentityIssuerCommand')).toContain('aws iam get-outbound-web-identity-federation-info');
  });
});

describe('identity header names', () => {
  it('lists, for a portal without `headers`, exactly the headers the core emits by default', () => {
    const portal = {
      name: 'p',
      displayName: 'p',
      alwaysShowProvidersPage: false,
      authenticationTimeout: 1,
      sessionLifetime: 1,
      providers: [],
    };
    const emitted = identityHeaders(portal as never, 'pocketid', { id: 'u', name: { full: 'U' } }).map(([n]) => n);
    expect(DEFAULT_IDENTITY_HEADERS).toEqual(emitted);
  });
});

describe('limits, on by default (issue #12 §2; docs/aws.md "Limits")', () => {
  it('throttles the stage at 1000 rps (burst 2000), and each provider-start and callback route at 20 rps (burst 50)', () => {
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    const stage = stages[0] as { Properties: Record<string, unknown>; DependsOn: string[] };
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 2000, ThrottlingRateLimit: 1000 });
    const login = { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 50 };
    expect(stage.Properties.RouteSettings).toEqual({
      'GET /portals/{portal}/providers/{provider}': login,
      'GET /providers/{provider}': login,
      'GET /portals/{portal}/oauth2/callback': login,
      'GET /oauth2/callback': login,
    });
    // Route settings name route keys that must exist first: the stage depends on those routes.
    const routeIds = Object.entries(template.findResources('AWS::ApiGatewayV2::Route'))
      .filter(([, r]) => /providers|oauth2\/callback/.test((r.Properties as { RouteKey: string }).RouteKey))
      .map(([id]) => id);
    expect(routeIds).toHaveLength(4);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('reserves concurrency: 100 for verify, a cap of 10 each for login and callback', () => {
    const reserved = Object.fromEntries(
      Object.entries(template.findResources('AWS::Lambda::Function'))
        .filter(([id]) => /^ForwardAuth(Verify|Login|Callback)Function/.test(id))
        .map(([id, r]) => [
          id.replace(/^ForwardAuth(\w+?)Function.*$/, '$1'),
          r.Properties.ReservedConcurrentExecutions,
        ]),
    );
    expect(reserved).toEqual({ Verify: 100, Login: 10, Callback: 10 });
  });

  it('caps the on-demand table and its index at 2000 read and 200 write request units per second', () => {
    const table = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'))[0]?.Properties as Record<
      string,
      unknown
    >;
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.WriteOnDemandThroughputSettings).toEqual({ MaxWriteRequestUnits: 200 });
    expect(table.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: TABLE.userIndex,
        WriteOnDemandThroughputSettings: { MaxWriteRequestUnits: 200 },
      }),
    ]);
    expect(table.Replicas).toEqual([
      expect.objectContaining({
        ReadOnDemandThroughputSettings: { MaxReadRequestUnits: 2000 },
        GlobalSecondaryIndexes: [
          { IndexName: TABLE.userIndex, ReadOnDemandThroughputSettings: { MaxReadRequestUnits: 2000 } },
        ],
      }),
    ]);
  });

  it('alarms on throttles, concurrency near each reservation and consumed write units, notifying no one by default', () => {
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, r]) => {
      const p = r.Properties as Record<string, unknown> & {
        Metrics?: { Id: string; MetricStat?: { Metric: { MetricName: string } } }[];
      };
      return {
        id: id.replace(/^ForwardAuth(\w+Alarm).*$/, '$1'),
        metric:
          p.MetricName ?? p.Metrics?.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).join('+'),
        statistic: p.Statistic,
        threshold: p.Threshold,
        periods: p.EvaluationPeriods,
        actions: p.AlarmActions,
      };
    });
    expect(alarms).toEqual([
      {
        id: 'VerifyThrottlesAlarm',
        metric: 'Throttles',
        statistic: 'Sum',
        threshold: 1,
        periods: 1,
        actions: undefined,
      },
      {
        id: 'VerifyConcurrencyAlarm',
        metric: 'ConcurrentExecutions',
        statistic: 'Maximum',
        threshold: 80,
        periods: 2,
        actions: undefined,
      },
      {
        id: 'LoginThrottlesAlarm',
        metric: 'Throttles',
        statistic: 'Sum',
        threshold: 1,
        periods: 1,
        actions: undefined,
      },
      {
        id: 'LoginConcurrencyAlarm',
        metric: 'ConcurrentExecutions',
        statistic: 'Maximum',
        threshold: 8,
        periods: 2,
        actions: undefined,
      },
      {
        id: 'CallbackThrottlesAlarm',
        metric: 'Throttles',
        statistic: 'Sum',
        threshold: 1,
        periods: 1,
        actions: undefined,
      },
      {
        id: 'CallbackConcurrencyAlarm',
        metric: 'ConcurrentExecutions',
        statistic: 'Maximum',
        threshold: 8,
        periods: 2,
        actions: undefined,
      },
      {
        id: 'TableThrottlesAlarm',
        metric: 'ReadThrottleEvents+WriteThrottleEvents',
        statistic: undefined,
        threshold: 1,
        periods: 1,
        actions: undefined,
      },
      // 80% of 200 units a second, as the per-minute sum the metric reports.
      {
        id: 'TableWriteUnitsAlarm',
        metric: 'ConsumedWriteCapacityUnits',
        statistic: 'Sum',
        threshold: 9600,
        periods: 2,
        actions: undefined,
      },
    ]);
  });
});

describe('props that cannot deploy', () => {
  it.each([
    [
      'domainName without certificateArn',
      { domainName: 'auth.example.com' },
      /certificateArn is required with domainName/,
    ],
    ['a callbackRoleName IAM refuses', { callbackRoleName: 'a'.repeat(65) }, /is not a valid IAM role name/],
    [
      'limits AWS would refuse',
      {
        limits: { loginThrottle: { rateLimit: 0 }, reservedConcurrency: { login: 0 }, tableMaxWriteRequestUnits: 1.5 },
      },
      /limits\.loginThrottle\.rateLimit must be a number > 0 \(got 0\); limits\.reservedConcurrency\.login must be a whole number ≥ 1 \(got 0\); limits\.tableMaxWriteRequestUnits must be a whole number ≥ 1 \(got 1\.5\)/,
    ],
  ])('rejects %s with CDK ValidationError, at the construct path', (_name, props, message) => {
    // Prepare
    const app = new App();

    // Act
    const act = () => new ForwardAuthStack(app, 'Invalid', { configFile: writeConfig(CONFIG), ...props });

    // Assess
    const thrown = catchError(act, Error);
    expect(Errors.isValidationError(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as { constructPath?: string }).constructPath).toBe('Invalid/ForwardAuth');
  });
});
