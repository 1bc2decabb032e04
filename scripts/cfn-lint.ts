/**
 * AWS's CloudFormation linter (cfn-lint) on every template this project can synthesize: the default stage, each
 * stage of cdk.json and stages.local.json, a stage with DynamoDB replicas and a custom domain, and AwsWebIdentity
 * with outbound web identity federation enabled (and the CloudWatch dashboard). `npm run cfn-lint [-- --out DIR]`;
 * .ci/run counts one test per template.
 *
 * A template passes when cfn-lint reports nothing but the accepted findings below (each with its reason, also listed
 * in the README). The last line is `cfn-lint: N passed, M failed`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { App } from 'aws-cdk-lib';
import { stringify } from 'yaml';
import { ForwardAuthStack, type ForwardAuthStackProps } from '../infra/stack.js';
import { EXAMPLE_CONFIG, resolveStage, STAGES_CONTEXT_KEY, stageDefinitions } from '../infra/stages.js';

/**
 * Findings accepted on purpose. W3005 ("dependency already enforced by a Ref/GetAtt"): aws-cdk-lib adds an explicit
 * DependsOn next to a reference it also makes (each function on its role, the API mapping on the custom domain, the
 * web-identity custom resource's function on its role); CloudFormation ignores the duplicate, and the generated
 * template is not ours to edit.
 */
export const ACCEPTED = ['W3005'];

interface Variant {
  name: string;
  region: string;
  props: ForwardAuthStackProps;
  stackName: string;
}

const root = process.cwd();
const { values } = parseArgs({ options: { out: { type: 'string' }, bin: { type: 'string' } } });
const out = values.out ?? mkdtempSync(join(tmpdir(), 'tfa-cfn-lint-'));
const pinned = join(root, '.tools/venv/bin/cfn-lint');
// The pinned one from scripts/install-tools.sh, else whatever is on PATH.
const cfnLint = values.bin ?? process.env.CFN_LINT ?? (existsSync(pinned) ? pinned : 'cfn-lint');
mkdirSync(out, { recursive: true });

const env = { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'us-east-1' };
const example = join(root, EXAMPLE_CONFIG);

function variants(): Variant[] {
  const list: Variant[] = [];
  const add = (name: string, resolved: ReturnType<typeof resolveStage>) => {
    // A stage whose config file is not in the repository (the user's own) is linted with the example config: the
    // resources come from the stage (account, region, domain, replicas), not from the config's contents.
    const configFile = existsSync(resolved.props.configFile) ? resolved.props.configFile : example;
    list.push({
      name,
      region: resolved.props.env?.region ?? 'us-east-1',
      stackName: resolved.stackName,
      props: { ...resolved.props, configFile },
    });
  };
  add('default', resolveStage(undefined, undefined, env, root));
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const stages = cdkJson.context?.[STAGES_CONTEXT_KEY];
  // cdk.json's example stage still holds placeholders (it refuses to deploy): lint the template it would give.
  for (const stage of stageDefinitions(stages, root).keys())
    add(`stage-${stage}`, resolveStage(stage, stages, env, root, { allowPlaceholders: true }));

  // Replicas and a custom domain with its hosted zone, whatever cdk.json holds.
  add('replicas', {
    name: 'replicas',
    stackName: 'TfaServerless-replicas',
    usingExample: true,
    props: {
      env: { account: '111111111111', region: 'eu-west-1' },
      configFile: example,
      domainName: 'auth.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
      hostedZoneId: 'Z0000000000000000000',
      hostedZoneName: 'example.com',
      replicaRegions: ['eu-central-1', 'us-east-1'],
    },
  });

  // AwsWebIdentity: the callback role may call sts:GetWebIdentityToken; the opt-in custom resource enables federation.
  // Also the identity assertion: the key-generating custom resource and verify's SSM grant.
  const dir = mkdtempSync(join(tmpdir(), 'tfa-cfn-lint-config-'));
  const webIdentityConfig = join(dir, 'tfa-config.yaml');
  writeFileSync(
    webIdentityConfig,
    stringify({
      server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
      portals: [
        {
          name: 'main',
          identityAssertion: { enabled: true },
          providers: [
            { pocketID: { endpoint: 'https://id.example.com', clientID: 'c1', clientAssertion: 'AwsWebIdentity' } },
          ],
        },
      ],
    }),
  );
  add('web-identity', {
    name: 'web-identity',
    stackName: 'TfaServerless-webid',
    usingExample: false,
    props: {
      env: { account: '222222222222', region: 'us-west-2' },
      configFile: webIdentityConfig,
      enableOutboundWebIdentityFederation: true,
      identityAssertionKeyRotation: 1,
      dashboard: true,
    },
  });
  return list;
}

interface Finding {
  Rule: { Id: string; ShortDescription?: string };
  Level: string;
  Message: string;
  Location?: { Path?: unknown[] };
}

let passed = 0;
let failed = 0;
for (const v of variants()) {
  const outdir = join(out, v.name);
  // CloudFormation's built-in validation is test/infra's job; this synth is for the linter only.
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  new ForwardAuthStack(app, v.stackName, v.props);
  app.synth();
  const template = join(outdir, `${v.stackName}.template.json`);
  const run = spawnSync(cfnLint, ['--format', 'json', '--regions', v.region, '--', template], { encoding: 'utf8' });
  if (run.error || (run.status !== 0 && !run.stdout.trim().startsWith('['))) {
    console.log(`FAIL ${v.name}: cfn-lint did not run (${run.error?.message ?? run.stderr.trim()})`);
    failed++;
    continue;
  }
  const findings = JSON.parse(run.stdout || '[]') as Finding[];
  const rejected = findings.filter((f) => !ACCEPTED.includes(f.Rule.Id));
  const accepted = findings.length - rejected.length;
  const summary = `${v.name} (${v.stackName}, ${v.region}): ${findings.length} finding(s), ${accepted} accepted`;
  if (rejected.length === 0) {
    console.log(`PASS ${summary}`);
    passed++;
  } else {
    console.log(`FAIL ${summary}`);
    for (const f of rejected)
      console.log(`  ${f.Rule.Id} ${f.Level}: ${f.Message} at ${JSON.stringify(f.Location?.Path ?? [])}`);
    failed++;
  }
  for (const f of findings.filter((f) => ACCEPTED.includes(f.Rule.Id)))
    console.log(`  accepted ${f.Rule.Id}: ${f.Message}`);
}
console.log(`cfn-lint: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
