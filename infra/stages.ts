/**
 * Deployment stages from `cdk.json` context: `npx cdk deploy -c stage=prod` picks `context["tfa:stages"].prod`.
 * Without `-c stage`, the default stage deploys `tfa-config.yaml` (or `TFA_CONFIG`) to the CLI's account and region.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import type { ForwardAuthStackProps } from './stack.js';

export const STAGES_CONTEXT_KEY = 'tfa:stages';
/** Config synthesized when no stage is chosen and there is no tfa-config.yaml, so CI can synth a clean checkout. */
export const EXAMPLE_CONFIG = 'infra/example/tfa-config.yaml';

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');
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
 * @param cwd the project directory, against which config paths are resolved
 * @throws StageError for an unknown stage or an invalid stage definition
 */
export function resolveStage(
  stage: string | undefined,
  stages: unknown,
  env: Record<string, string | undefined>,
  cwd: string,
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

  const all = stages === undefined ? {} : stages;
  if (typeof all !== 'object' || all === null || Array.isArray(all))
    throw new StageError(`cdk.json context '${STAGES_CONTEXT_KEY}' must be an object of stages`);
  const raw = (all as Record<string, unknown>)[stage];
  if (raw === undefined) {
    const known = Object.keys(all);
    throw new StageError(
      `unknown stage '${stage}': define it in cdk.json under context '${STAGES_CONTEXT_KEY}'${known.length ? ` (known: ${known.join(', ')})` : ''}`,
    );
  }
  const parsed = stageSchema.safeParse(raw);
  if (!parsed.success)
    throw new StageError(
      `invalid stage '${stage}' in cdk.json:\n${parsed.error.issues
        .map((i) => `  - ${[STAGES_CONTEXT_KEY, stage, ...i.path.map(String)].join('.')}: ${i.message}`)
        .join('\n')}`,
    );
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
    },
  };
}
