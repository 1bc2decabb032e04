import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ENV, type FunctionName, serializeConfigAsset } from '../functions/config-asset.js';
import type { Config, ProviderConfig } from '../shared/config/types.js';
import { TABLE_SCHEMA } from '../shared/sessions/table.js';
import { AssertionKeys } from './assertion-keys.js';
import { stageAsset } from './assets.js';
import { type AwsConfig, bundledConfig, loadAwsConfig, type ProviderPlan } from './aws-config.js';
import { addDashboard } from './dashboard.js';
import { validationError } from './errors.js';
import { addLimitAlarms, type Limits, type LimitsProps, resolveLimits } from './limits.js';
import { callbackUrls, checkUrls, traefikMiddleware } from './outputs.js';
import { apiRoutes, DEFAULT_ROUTE_FUNCTION, routeKey } from './routes.js';
import { tableStatements } from './table-access.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface ForwardAuthProps {
  /**
   * Path of `tfa-config.yaml`. It is validated at synth with the standalone server's loader (same messages; an invalid
   * config fails the synth) and reaches the functions as a JSON asset that holds no secret.
   */
  readonly configFile: string;
  /**
   * Directory holding the esbuild bundles (`dist/<function>/index.mjs`, from `npm run build`).
   * @default `dist` at the repository root
   */
  readonly distDir?: string;
  /**
   * What happens to the sessions table, the secrets the stack creates and the log groups when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Further regions for the sessions table, which then becomes a DynamoDB global table (multi-region sessions).
   * @default - a single-region table
   */
  readonly replicaRegions?: string[];
  /**
   * How long function and API access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory of each function in MiB. Lambda allots CPU in proportion, which shortens cold starts.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Custom domain of the HTTP API: the host browsers use for sign-in and the callback. It must be one of the
   * `server.domains[].authHost` values of the config.
   * @default - no custom domain: the API is reachable at its execute-api URL only
   */
  readonly domainName?: string;
  /**
   * ARN of the ACM certificate for `domainName`, in the stack's region. Required with `domainName`.
   * @default - none
   */
  readonly certificateArn?: string;
  /**
   * Route 53 hosted zone in which to create the alias record for `domainName`.
   * @default - no DNS record: point `domainName` at the `ApiDomainTarget` output yourself
   */
  readonly hostedZoneId?: string;
  /**
   * Name of the hosted zone (for example `example.com`). Required with `hostedZoneId`.
   * @default - none
   */
  readonly hostedZoneName?: string;
  /**
   * Name of the callback function's IAM role. It is fixed so that its ARN, the `sub` of the tokens STS mints for
   * `clientAssertion: AwsWebIdentity`, is known before the first deploy and can be entered in Pocket ID.
   * @default `${stackName}-callback`
   */
  readonly callbackRoleName?: string;
  /**
   * Turn on IAM outbound web identity federation for the account (`iam:EnableOutboundWebIdentityFederation`, a
   * one-time, account-wide switch that `GetWebIdentityToken` needs) through a custom resource, and output the
   * account's issuer URL. Deleting the stack leaves the feature on.
   * @default false - enable it once yourself: `aws iam enable-outbound-web-identity-federation`
   */
  readonly enableOutboundWebIdentityFederation?: boolean;
  /**
   * Rotation counter of the identity-assertion keys (portals with `identityAssertion` on). Raising it rotates them
   * at the next deploy: the next key, published since the previous rotation, starts signing; a new next key is made;
   * the retiring key stays published until the following rotation (docs/aws.md).
   * @default 0
   */
  readonly identityAssertionKeyRotation?: number;
  /**
   * What anonymous traffic may cost and take: HTTP API throttling (stage, and tighter on the provider start and the
   * callback), reserved concurrency per function, the table's request-unit ceilings. Each key overrides one default
   * of `DEFAULT_LIMITS` (infra/limits.ts; docs/aws.md, "Limits").
   * @default DEFAULT_LIMITS
   */
  readonly limits?: LimitsProps;
  /**
   * SNS topic the limit alarms notify (on ALARM and on OK).
   * @default - the alarms only show in CloudWatch
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * A CloudWatch dashboard: requests, forward-auth decisions, latency p50/p99, cold starts, throttles and logins by
   * result (infra/dashboard.ts). Dashboards cost $3 a month each beyond the free three.
   * @default false
   */
  readonly dashboard?: boolean;
}

/** A Secrets Manager secret the stack created for a provider; its value is put by the operator after deploying. */
export interface CreatedSecret {
  portal: string;
  provider: string;
  secret: secretsmanager.Secret;
}

/**
 * Traefik Forward Auth on AWS: the sessions table, the verify, login and callback functions, an HTTP API (with an
 * optional custom domain) and a Function URL for verify, each function with exactly the permissions it needs.
 */
export class ForwardAuth extends Construct {
  /** The validated config as bundled into the functions (created secrets referenced by name). */
  readonly config: Config;
  readonly table: dynamodb.TableV2;
  readonly verifyFunction: lambda.Function;
  readonly loginFunction: lambda.Function;
  readonly callbackFunction: lambda.Function;
  /** Each function's execution role (the callback's is the only one that may read secrets). */
  readonly roles: Readonly<Record<FunctionName, iam.Role>>;
  readonly httpApi: apigw.HttpApi;
  /** The API's `$default` stage; its URL ends with `/`. */
  readonly stage: apigw.HttpStage;
  /** The verify function's URL (auth NONE), for Traefik's `forwardAuth.address`; it ends with `/`. */
  readonly verifyUrl: lambda.FunctionUrl;
  readonly domain?: apigw.DomainName;
  /** Secrets the stack created, one per provider configured without a credential. */
  readonly createdSecrets: CreatedSecret[] = [];
  /** Audiences the callback may request web-identity tokens for (providers using `AwsWebIdentity`). */
  readonly webIdentityAudiences: string[];
  /** The account's STS issuer URL, when `enableOutboundWebIdentityFederation` is set (a deploy-time value). */
  readonly webIdentityIssuer?: string;
  /** The identity-assertion key set (SSM SecureString and its generator), when a portal has the feature on. */
  readonly assertionKeys?: AssertionKeys;
  /** The limits in force (DEFAULT_LIMITS with `props.limits` applied). */
  readonly limits: Limits;
  /** The CloudWatch dashboard, when `dashboard` is set. */
  readonly dashboard?: cloudwatch.Dashboard;
  /** CloudWatch alarms on throttles, concurrency and consumed write units. */
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ForwardAuthProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.limits = resolveLimits(this, props.limits);
    const loaded = loadAwsConfig(props.configFile, {
      account: Token.isUnresolved(stack.account) ? undefined : stack.account,
      region: Token.isUnresolved(stack.region) ? undefined : stack.region,
    });
    for (const n of loaded.notices)
      if (n.level === 'warn') Annotations.of(this).addWarningV2('tfa:config', n.message);
      else if (n.level === 'info') Annotations.of(this).addInfo(n.message);
    validateDomainProps(this, props, loaded.config);

    // 1. Sessions and login states: one table, the layout of shared/sessions/table.ts.
    this.table = new dynamodb.TableV2(this, 'Sessions', {
      partitionKey: cdkKey(TABLE_SCHEMA.partitionKey),
      // Ceilings: a flood is throttled (and alarmed) instead of billed without bound.
      billing: dynamodb.Billing.onDemand({
        maxReadRequestUnits: this.limits.tableMaxReadRequestUnits,
        maxWriteRequestUnits: this.limits.tableMaxWriteRequestUnits,
      }),
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      globalSecondaryIndexes: [
        {
          indexName: TABLE_SCHEMA.userIndex.name,
          partitionKey: cdkKey(TABLE_SCHEMA.userIndex.partitionKey),
          sortKey: cdkKey(TABLE_SCHEMA.userIndex.sortKey),
          projectionType: TABLE_SCHEMA.userIndex.projection as dynamodb.ProjectionType,
          // An index has its own on-demand ceiling; every session write is also an index write.
          maxReadRequestUnits: this.limits.tableMaxReadRequestUnits,
          maxWriteRequestUnits: this.limits.tableMaxWriteRequestUnits,
        },
      ],
      replicas: (props.replicaRegions ?? []).map((region) => ({ region })),
      removalPolicy,
    });

    // 2. Client secrets: created (value put by the operator) or imported; only their names and ARNs are bundled.
    const createdNames = new Map<ProviderConfig, string>();
    for (const plan of loaded.providers)
      if (plan.credential.kind === 'createSecret') {
        const secretName = `${stack.stackName}/${id}/${plan.portal}/${plan.provider.name}`;
        const secret = new secretsmanager.Secret(this, `Secret-${plan.portal}-${plan.provider.name}`, {
          secretName,
          description: `Client secret of provider '${plan.provider.name}' in portal '${plan.portal}' (put the value from the identity provider)`,
          removalPolicy,
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'The value is a client secret issued by the identity provider: Secrets Manager cannot rotate it without the IdP; rotate it there and put the new value (the callback picks it up within its 5-minute cache)',
        });
        createdNames.set(plan.provider, secretName);
        this.createdSecrets.push({ portal: plan.portal, provider: plan.provider.name, secret });
      }
    this.config = bundledConfig(loaded.config, createdNames);
    const configJson = serializeConfigAsset(assertNoSecretValues(this, this.config));

    // 3. The functions, each with its own role, log group and asset (bundle + config).
    const distDir = props.distDir ?? join(REPO_ROOT, 'dist');
    const fn = (name: FunctionName, description: string, timeout: Duration) =>
      this.createFunction(name, description, timeout, { distDir, configJson, props, removalPolicy });
    const verify = fn('verify', 'Forward-auth check, bearer API and health check', Duration.seconds(10));
    const login = fn('login', 'Sign-in, provider start, logout, profile and static assets', Duration.seconds(20));
    const callback = fn('callback', 'OAuth2 callback: code exchange and session creation', Duration.seconds(29));
    this.verifyFunction = verify.fn;
    this.loginFunction = login.fn;
    this.callbackFunction = callback.fn;
    this.roles = { verify: verify.role, login: login.role, callback: callback.role };

    // 4. Least privilege, per item kind (infra/table-access.ts): each grant is limited to the key prefixes the
    // function uses, and is on the table itself only (table.grant() would add every replica and `<table>/index/*`,
    // which none of the functions touch: they run in this region).
    const tableArns = {
      table: this.table.tableArn,
      index: `${this.table.tableArn}/index/${TABLE_SCHEMA.userIndex.name}`,
    };
    for (const name of ['verify', 'login', 'callback'] as const)
      for (const statement of tableStatements(name, this.config))
        iam.Grant.addToPrincipal({
          grantee: this.roles[name],
          actions: statement.actions,
          resourceArns: [tableArns[statement.resource]],
          conditions: statement.condition,
        });
    for (const { secret } of this.createdSecrets) secret.grantRead(this.callbackFunction);
    this.importSecrets(loaded);
    this.webIdentityAudiences = this.grantWebIdentity(loaded);
    if (props.enableOutboundWebIdentityFederation) this.webIdentityIssuer = this.enableWebIdentityFederation();
    // Identity assertions: the keys are generated in SSM at deploy time; verify may read that one parameter. Its
    // environment carries the parameter's name and the rotation counter (a new value starts fresh containers, which
    // load the rotated keys), never key material.
    if (this.config.portals.some((p) => p.identityAssertion)) {
      const rotation = props.identityAssertionKeyRotation ?? 0;
      if (!Number.isInteger(rotation) || rotation < 0)
        throw validationError(
          'IdentityAssertionKeyRotation',
          `identityAssertionKeyRotation must be a whole number ≥ 0 (got ${rotation}): raise it by one to rotate the keys`,
          this,
        );
      const keys = new AssertionKeys(this, 'AssertionKeys', {
        rotation,
        removalPolicy,
        logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      });
      keys.grantRead(this.verifyFunction);
      this.verifyFunction.addEnvironment(ENV.assertionKeyParameter, keys.parameterName);
      this.verifyFunction.addEnvironment('TFA_ASSERTION_KEY_ROTATION', String(rotation));
      this.verifyFunction.node.addDependency(keys.resource);
      this.assertionKeys = keys;
    }

    // 5. Front doors: the HTTP API (browsers, and Traefik if it prefers) and the verify Function URL (Traefik).
    const integration = (name: FunctionName, f: lambda.IFunction) =>
      new HttpLambdaIntegration(`${name}-integration`, f);
    const integrations = {
      verify: integration('verify', this.verifyFunction),
      login: integration('login', this.loginFunction),
      callback: integration('callback', this.callbackFunction),
    };
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Traefik Forward Auth: sign-in pages, OAuth2 callback and the forward-auth check',
      createDefaultStage: false,
      defaultIntegration: integrations[DEFAULT_ROUTE_FUNCTION],
    });
    const routes = apiRoutes(this.config);
    const routeConstructs = routes.flatMap((route) =>
      this.httpApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: integrations[route.fn],
      }),
    );
    if (props.domainName && props.certificateArn)
      this.domain = new apigw.DomainName(this, 'Domain', {
        domainName: props.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
      domainMapping: this.domain ? { domainName: this.domain } : undefined,
      throttle: this.limits.apiThrottle,
    });
    // The routes that write for anonymous callers get their own, tighter buckets (route-level settings, keyed by
    // route key; CloudFormation refuses a key whose route does not exist yet, hence the dependency).
    const stageResource = this.stage.node.defaultChild as apigw.CfnStage;
    stageResource.routeSettings = Object.fromEntries(
      routes
        .filter((r) => r.loginFlow)
        .map((r) => [
          routeKey(r),
          {
            ThrottlingRateLimit: this.limits.loginThrottle.rateLimit,
            ThrottlingBurstLimit: this.limits.loginThrottle.burstLimit,
          },
        ]),
    );
    for (const route of routeConstructs) this.stage.node.addDependency(route);
    if (this.domain && props.hostedZoneId && props.hostedZoneName)
      new route53.ARecord(this, 'DomainAlias', {
        zone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: props.hostedZoneId,
          zoneName: props.hostedZoneName,
        }),
        recordName: props.domainName,
        target: route53.RecordTarget.fromAlias(
          new targets.ApiGatewayv2DomainProperties(this.domain.regionalDomainName, this.domain.regionalHostedZoneId),
        ),
      });
    // Auth NONE: Traefik cannot sign requests with SigV4. What protects it is in docs/aws.md ("Function URL").
    this.verifyUrl = this.verifyFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    // 6. Alarms on each limit (infra/limits.ts).
    this.alarms = addLimitAlarms(this, {
      limits: this.limits,
      functions: { verify: this.verifyFunction, login: this.loginFunction, callback: this.callbackFunction },
      table: this.table,
      topic: props.alarmTopic,
    });
    if (props.dashboard)
      this.dashboard = addDashboard(this, {
        functions: { verify: this.verifyFunction, login: this.loginFunction, callback: this.callbackFunction },
      });

    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Forward auth is the authorizer: these routes must be reachable by any browser (sign-in, callback) and by the proxy; every request is checked against server.domains and the session store',
    });
    if (!this.domain)
      Annotations.of(this).addWarningV2(
        'tfa:no-custom-domain',
        'No custom domain: browsers must reach the server.domains authHost through the HTTP API; set the stage domain (certificate and optional hosted zone) or route it yourself',
      );
  }

  /** `https://{authHost}{basePath}/portals/{portal}/oauth2/callback` for every portal and domain (plus the short route). */
  callbackUrls(): string[] {
    return callbackUrls(this.config);
  }

  /** `{base}{basePath}/portals/{portal}` for every portal, where `base` ends with `/` (a Function or stage URL). */
  checkUrls(base: string): string[] {
    return checkUrls(this.config, base);
  }

  /** A Traefik dynamic-config YAML document with one forwardAuth middleware (`tfa-<portal>`) per portal. */
  traefikMiddleware(): string {
    return traefikMiddleware(this.config, this.verifyUrl.url);
  }

  private createFunction(
    name: FunctionName,
    description: string,
    timeout: Duration,
    o: { distDir: string; configJson: string; props: ForwardAuthProps; removalPolicy: RemovalPolicy },
  ): { fn: lambda.Function; role: iam.Role } {
    const id = `${name[0]?.toUpperCase()}${name.slice(1)}`;
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: o.props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: o.removalPolicy,
    });
    // Our own role: the default one carries AWSLambdaBasicExecutionRole, which may write to any log group.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `tfa-serverless ${name} function`,
      ...(name === 'callback' ? { roleName: callbackRoleName(this, o.props, Stack.of(this).stackName) } : {}),
    });
    logGroup.grantWrite(role);
    const fn = new lambda.Function(this, `${id}Function`, {
      description: `tfa-serverless ${name}: ${description}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(stageAsset(o.distDir, name, o.configJson)),
      memorySize: o.props.memorySize ?? 512,
      // A cap for login and callback (a flood cannot scale them without bound) and a share verify always has.
      ...(this.limits.reservedConcurrency[name] !== false
        ? { reservedConcurrentExecutions: this.limits.reservedConcurrency[name] }
        : {}),
      timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // verify runs on every request to every protected app: Lambda's own platform.start/report lines (~370 bytes
      // an invocation) would cost more in CloudWatch Logs than the invocation. Its metrics (Duration, Errors, ...)
      // do not depend on them; login and callback keep them.
      ...(name === 'verify' ? { systemLogLevelV2: lambda.SystemLogLevel.WARN } : {}),
      // Stack traces through the shipped source map (the TypeScript file and line, not the minified bundle's).
      environment: { [ENV.tableName]: this.table.tableName, NODE_OPTIONS: '--enable-source-maps' },
    });
    return { fn, role };
  }

  /** `clientSecretArn`: read access for the callback, and `kms:Decrypt` (via Secrets Manager) on its KMS key. */
  private importSecrets(loaded: AwsConfig): void {
    loaded.providers.forEach((plan: ProviderPlan, i) => {
      const c = plan.credential;
      if (c.kind !== 'importSecret') return;
      const secret = c.arn
        ? secretsmanager.Secret.fromSecretAttributes(this, `ImportedSecret${i}`, {
            ...(c.arn.complete ? { secretCompleteArn: c.secretId } : { secretPartialArn: c.secretId }),
          })
        : secretsmanager.Secret.fromSecretNameV2(this, `ImportedSecret${i}`, c.secretId);
      secret.grantRead(this.callbackFunction);
      // Explicit, because Secret.grantRead adds nothing for an imported key of another account. The key's own policy
      // must allow this role too (docs/aws.md); kms:ViaService keeps the grant to decrypting through Secrets Manager.
      if (c.kmsKeyArn)
        iam.Grant.addToPrincipal({
          grantee: this.callbackFunction,
          actions: ['kms:Decrypt'],
          resourceArns: [c.kmsKeyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `secretsmanager.${c.arn?.region ?? Stack.of(this).region}.amazonaws.com`,
            },
          },
        });
    });
  }

  /**
   * The opt-in custom resource: enables outbound web identity federation (tolerating "already enabled"), then reads
   * the account's issuer URL. Nothing happens on delete: other stacks in the account may rely on the feature.
   */
  private enableWebIdentityFederation(): string {
    const policy = cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE });
    const enable = new cr.AwsCustomResource(this, 'EnableOutboundWebIdentityFederation', {
      onCreate: {
        service: 'IAM',
        action: 'EnableOutboundWebIdentityFederation',
        physicalResourceId: cr.PhysicalResourceId.of('outbound-web-identity-federation'),
        ignoreErrorCodesMatching: 'FeatureEnabled',
      },
      policy,
      installLatestAwsSdk: false,
    });
    const info = new cr.AwsCustomResource(this, 'OutboundWebIdentityFederationInfo', {
      onUpdate: {
        service: 'IAM',
        action: 'GetOutboundWebIdentityFederationInfo',
        physicalResourceId: cr.PhysicalResourceId.of('outbound-web-identity-federation-info'),
      },
      policy,
      installLatestAwsSdk: false,
    });
    info.node.addDependency(enable);
    for (const c of [enable, info])
      Validations.of(c).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'The IAM outbound web identity federation calls act on the account and have no resource type',
      });
    // The provider function AwsCustomResource shares across the stack (a CDK singleton with a fixed id).
    const provider = Stack.of(this).node.tryFindChild(
      cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '').replace(/^/, 'AWS'),
    );
    if (provider)
      for (const [id, reason] of [
        [
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          "CDK's AwsCustomResource provider: runs only at deploy time, logging through the basic execution role",
        ],
        ['AwsSolutions-L1', "CDK's AwsCustomResource provider: its runtime is chosen by aws-cdk-lib"],
      ] as const)
        Validations.of(provider).acknowledge({ id, reason });
    return info.getResponseField('IssuerIdentifier');
  }

  /**
   * `clientAssertion: AwsWebIdentity`: the callback may mint STS web-identity tokens, for the providers' audiences
   * and signing algorithms only. The action has no resource type, hence `*`.
   */
  private grantWebIdentity(loaded: AwsConfig): string[] {
    const specs = loaded.providers.flatMap((p) =>
      p.credential.kind === 'assertion' && p.credential.awsWebIdentity ? [p.credential.awsWebIdentity] : [],
    );
    if (specs.length === 0) return [];
    const audiences = [...new Set(specs.map((s) => s.audience))];
    iam.Grant.addToPrincipal({
      grantee: this.callbackFunction,
      actions: ['sts:GetWebIdentityToken'],
      resourceArns: ['*'],
      conditions: {
        'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': audiences },
        StringEquals: { 'sts:SigningAlgorithm': [...new Set(specs.map((s) => s.signingAlgorithm))] },
      },
    });
    Validations.of(this.roles.callback).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'sts:GetWebIdentityToken has no resource type; the statement is limited by sts:IdentityTokenAudience and sts:SigningAlgorithm conditions',
    });
    return audiences;
  }
}

/** A key of the table schema as CDK declares it (DynamoDB's `S`/`N` are the values of CDK's `AttributeType`). */
function cdkKey(key: { name: string; type: 'S' | 'N' }): dynamodb.Attribute {
  return { name: key.name, type: key.type as dynamodb.AttributeType };
}

/** `callbackRoleName`, defaulting to `<stack>-callback`, checked against IAM's rules (at most 64 of `\w+=,.@-`). */
function callbackRoleName(scope: Construct, props: ForwardAuthProps, stackName: string): string {
  const name = props.callbackRoleName ?? `${stackName}-callback`;
  if (!/^[\w+=,.@-]{1,64}$/.test(name))
    throw validationError(
      'ForwardAuthCallbackRoleName',
      `callbackRoleName: '${name}' is not a valid IAM role name (at most 64 characters of letters, digits and +=,.@_-); set a shorter stackName or callbackRoleName`,
      scope,
    );
  return name;
}

function validateDomainProps(scope: Construct, props: ForwardAuthProps, config: Config): void {
  const problems: string[] = [];
  if (props.domainName !== undefined) {
    if (!props.certificateArn) problems.push('certificateArn is required with domainName');
    const hosts = config.server.domains.map((d) => d.authHost);
    if (!hosts.includes(props.domainName.toLowerCase()))
      problems.push(
        `domainName '${props.domainName}' is not an authHost of server.domains in ${props.configFile} (${hosts.join(', ') || 'none'}): browsers are sent to the authHost for sign-in`,
      );
  } else if (props.certificateArn || props.hostedZoneId)
    problems.push('certificateArn and hostedZoneId need domainName');
  if ((props.hostedZoneId === undefined) !== (props.hostedZoneName === undefined))
    problems.push('hostedZoneId and hostedZoneName go together');
  if (problems.length > 0) throw validationError('ForwardAuthDomain', `ForwardAuth: ${problems.join('; ')}`, scope);
}

/** Defence in depth: the loader already refused inline, file and env secrets; never bundle one by mistake. */
function assertNoSecretValues(scope: Construct, config: Config): Config {
  for (const portal of config.portals)
    for (const p of portal.providers)
      if (p.clientSecret && p.clientSecret.kind !== 'secretsManager')
        throw validationError(
          'ForwardAuthSecretValue',
          `provider '${p.name}' of portal '${portal.name}': only Secrets Manager references may be bundled`,
          scope,
        );
  return config;
}
