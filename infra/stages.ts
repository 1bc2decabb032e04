/**
 * Deployment stages: `npx cdk deploy -c stage=prod` picks `prod` from the untracked `stages.local.json` when it
 * defines one, else from `cdk.json` context (`context["tfa:stages"].prod`). Without `-c stage`, the default stage
 * deploys `tfa-config.yaml` (or `TFA_CONFIG`) to the CLI's account and region.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import type { ForwardAuthStackProps } from './stack.js';

export const STAGES_CONTEXT_KEY = 'tfa:stages';
/**
 * Stages kept out of git (account ids, certificate ARNs): an object of stages like the `tfa:stages` context value, in
 * the project directory. A stage defined there replaces the one of the same name in cdk.json as a whole.
 */
export const LOCAL_STAGES_FILE = 'stages.local.json';
/** Config synthesized when no stage is chosen and there is no tfa-config.yaml, so CI can synth a clean checkout. */
export const EXAMPLE_CONFIG = 'infra/example/tfa-config.yaml';

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');
const throttle = z.strictObject({
  rateLimit: z.number().positive().optional(),
  burstLimit: z.number().int().min(1).optional(),
});
/** A reservation, or `false` for none. */
const concurrency = z.union([z.number().int().min(1), z.literal(false)]);
const stageSchema = z.strictObject({
  /** 12-digit AWS account id. @default the CLI's account */
  account: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .optional(),
  /** @default the CLI's region */
  region: region.optional(),
  /** tfa-config.yaml for this stage, relative to the project directory. */
  configFile: z.string().min(1),
  /** @default TfaServerless-<stage> */
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
    .optional(),
  domain: z
    .strictObject({
      name: z.string().min(1),
      certificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:/, 'must be an ACM certificate ARN'),
      hostedZoneId: z.string().min(1).optional(),
      hostedZoneName: z.string().min(1).optional(),
    })
    .optional(),
  replicaRegions: z.array(region).optional(),
  removalPolicy: z.enum(['retain', 'destroy']).optional(),
  logRetentionDays: z
    .number()
    .int()
    .refine(
      (d) => Object.values(logs.RetentionDays).includes(d),
      'must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …)',
    )
    .optional(),
  memorySize: z.number().int().min(128).max(10240).optional(),
  callbackRoleName: z.string().optional(),
  enableOutboundWebIdentityFederation: z.boolean().optional(),
  /** Raise by one and deploy to rotate the identity-assertion keys (docs/aws.md). */
  identityAssertionKeyRotation: z.number().int().min(0).optional(),
  /** Overrides of the limits' defaults (infra/limits.ts, docs/aws.md "Limits"); checked again by the construct. */
  limits: z
    .strictObject({
      apiThrottle: throttle.optional(),
      loginThrottle: throttle.optional(),
      reservedConcurrency: z
        .strictObject({
          verify: concurrency.optional(),
          login: concurrency.optional(),
          callback: concurrency.optional(),
        })
        .optional(),
      tableMaxReadRequestUnits: z.number().int().min(1).optional(),
      tableMaxWriteRequestUnits: z.number().int().min(1).optional(),
    })
    .optional(),
  /** A CloudWatch dashboard of the stack (infra/dashboard.ts). */
  dashboard: z.boolean().optional(),
  /** SNS topic the limit alarms notify. */
  alarmTopicArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'must be an SNS topic ARN')
    .optional(),
});
export type StageConfig = z.infer<typeof stageSchema>;

/** A stage that cannot be synthesized; the message names the context key and what to do. */
export class StageError extends Error {
  override readonly name = 'StageError';
}

export interface ResolvedStage {
  name: string;
  stackName: string;
  props: ForwardAuthStackProps;
  /** Set when the example config stands in for a missing tfa-config.yaml. */
  usingExample: boolean;
}

/**
 * Picks the stage and turns it into stack props.
 * @param stage `-c stage=…`, or undefined for the default stage
 * @param stages the `tfa:stages` context value
 * @param env the process environment (TFA_CONFIG, CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION)
 * @param cwd the project directory, against which config paths are resolved and where `stages.local.json` is read
 * @param options.allowPlaceholders synthesize a stage that still holds the shipped placeholders (the linter checks
 *   the template cdk.json's example stage would give)
 * @throws StageError for an unknown stage, an invalid stage definition or a stage holding placeholders
 */
export function resolveStage(
  stage: string | undefined,
  stages: unknown,
  env: Record<string, string | undefined>,
  cwd: string,
  options: { allowPlaceholders?: boolean } = {},
): ResolvedStage {
  const abs = (p: string) => (isAbsolute(p) ? p : join(cwd, p));
  if (stage === undefined) {
    const file = env.TFA_CONFIG || 'tfa-config.yaml';
    const usingExample = !env.TFA_CONFIG && !existsSync(abs(file));
    return {
      name: 'default',
      stackName: 'TfaServerless',
      usingExample,
      props: {
        env: { account: env.CDK_DEFAULT_ACCOUNT, region: env.CDK_DEFAULT_REGION },
        configFile: abs(usingExample ? EXAMPLE_CONFIG : file),
      },
    };
  }

  const defined = stageDefinitions(stages, cwd);
  const found = defined.get(stage);
  if (found === undefined) {
    const known = [...defined.keys()];
    throw new StageError(
      `unknown stage '${stage}': define it in ${LOCAL_STAGES_FILE} or in cdk.json under context '${STAGES_CONTEXT_KEY}'${known.length ? ` (known: ${known.join(', ')})` : ''}`,
    );
  }
  const { raw, file, prefix } = found;
  const key = (path: readonly PropertyKey[]) => [...prefix, ...path.map(String)].join('.');
  const parsed = stageSchema.safeParse(raw);
  if (!parsed.success)
    throw new StageError(
      `invalid stage '${stage}' in ${file}:\n${parsed.error.issues
        .map((i) => `  - ${key(i.path)}: ${i.message}`)
        .join('\n')}`,
    );
  if (!options.allowPlaceholders) {
    const held = placeholders(parsed.data);
    if (held.length > 0)
      throw new StageError(
        `stage '${stage}' in ${file} still holds placeholder values; replace them${file === LOCAL_STAGES_FILE ? '' : `, preferably in ${LOCAL_STAGES_FILE} (which git ignores)`}:\n${held
          .map((p) => `  - ${key(p.path)}: '${p.value}' is a placeholder; ${p.want}`)
          .join('\n')}`,
      );
  }
  const s = parsed.data;
  return {
    name: stage,
    stackName: s.stackName ?? `TfaServerless-${stage}`,
    usingExample: false,
    props: {
      env: { account: s.account ?? env.CDK_DEFAULT_ACCOUNT, region: s.region ?? env.CDK_DEFAULT_REGION },
      configFile: abs(s.configFile),
      domainName: s.domain?.name,
      certificateArn: s.domain?.certificateArn,
      hostedZoneId: s.domain?.hostedZoneId,
      hostedZoneName: s.domain?.hostedZoneName,
      replicaRegions: s.replicaRegions,
      removalPolicy: s.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      logRetention: s.logRetentionDays,
      memorySize: s.memorySize,
      callbackRoleName: s.callbackRoleName,
      enableOutboundWebIdentityFederation: s.enableOutboundWebIdentityFederation,
      identityAssertionKeyRotation: s.identityAssertionKeyRotation,
      limits: s.limits,
      alarmTopicArn: s.alarmTopicArn,
      dashboard: s.dashboard,
    },
  };
}

interface StageDefinition {
  raw: unknown;
  /** The file to edit, for messages. */
  file: string;
  /** The stage's key path in that file (`tfa:stages.prod` in cdk.json, `prod` in stages.local.json). */
  prefix: string[];
}

/**
 * Every stage by name: those of `stages.local.json` in `cwd` (when it exists), then those of the cdk.json context
 * that the local file does not define.
 * @throws StageError when either is not an object of stages, or the local file is not JSON
 */
export function stageDefinitions(contextStages: unknown, cwd: string): Map<string, StageDefinition> {
  const defined = new Map<string, StageDefinition>();
  const add = (value: unknown, file: string, what: string, prefix: (name: string) => string[]) => {
    if (value === undefined) return;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new StageError(`${what} must be an object of stages`);
    for (const [name, raw] of Object.entries(value))
      if (!defined.has(name)) defined.set(name, { raw, file, prefix: prefix(name) });
  };
  const localPath = join(cwd, LOCAL_STAGES_FILE);
  if (existsSync(localPath)) {
    let local: unknown;
    try {
      local = JSON.parse(readFileSync(localPath, 'utf8'));
    } catch (err) {
      throw new StageError(`${localPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
    add(local, LOCAL_STAGES_FILE, LOCAL_STAGES_FILE, (name) => [name]);
  }
  add(contextStages, 'cdk.json', `cdk.json context '${STAGES_CONTEXT_KEY}'`, (name) => [STAGES_CONTEXT_KEY, name]);
  return defined;
}

/** AWS's documentation account id, and any twelve identical digits (cdk.json's example uses 111111111111). */
const PLACEHOLDER_ACCOUNT = /^(?:123456789012|(\d)\1{11})$/;
/** Domains reserved for documentation (RFC 2606): never anyone's auth host. */
const PLACEHOLDER_DOMAIN = /(?:^|\.)example(?:\.(?:com|net|org))?\.?$/i;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * The values of a stage that are still the example's placeholders (cdk.json ships a `prod` stage to copy, and docs
 * show the same values): deploying them would fail at CloudFormation, minutes in, or aim at someone else's account.
 */
function placeholders(s: StageConfig): { path: string[]; value: string; want: string }[] {
  const found: { path: string[]; value: string; want: string }[] = [];
  const check = (path: string[], value: string | undefined, isPlaceholder: boolean, want: string) => {
    if (value !== undefined && isPlaceholder) found.push({ path, value, want });
  };
  check(['account'], s.account, PLACEHOLDER_ACCOUNT.test(s.account ?? ''), 'your 12-digit AWS account id');
  const d = s.domain;
  if (d) {
    check(['domain', 'name'], d.name, PLACEHOLDER_DOMAIN.test(d.name), 'the authHost browsers sign in at');
    const certAccount = d.certificateArn.split(':')[4] ?? '';
    check(
      ['domain', 'certificateArn'],
      d.certificateArn,
      d.certificateArn.includes(NIL_UUID) || PLACEHOLDER_ACCOUNT.test(certAccount),
      "the ARN of the ACM certificate for domain.name, in the stage's region",
    );
    check(
      ['domain', 'hostedZoneId'],
      d.hostedZoneId,
      /^Z0+$/.test(d.hostedZoneId ?? ''),
      'the id of your Route 53 hosted zone, or leave it out',
    );
    check(
      ['domain', 'hostedZoneName'],
      d.hostedZoneName,
      PLACEHOLDER_DOMAIN.test(d.hostedZoneName ?? ''),
      'the name of that hosted zone',
    );
  }
  return found;
}
