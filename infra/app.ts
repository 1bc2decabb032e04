/**
 * The CDK app (`npx cdk synth|deploy [-c stage=<name>]`). Builds one ForwardAuthStack for the chosen stage and runs
 * cdk-nag's AWS Solutions checks on it. A bad config or stage ends the synth with its message and exit code 1.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../shared/config/errors.js';
import { addAwsSolutionsChecks } from './nag.js';
import { ForwardAuthStack } from './stack.js';
import { EXAMPLE_CONFIG, resolveStage, STAGES_CONTEXT_KEY, StageError } from './stages.js';

// CloudFormation's built-in template validation costs ~10 s of CPU per synth; test/infra runs it on the same stacks.
const app = new App({ builtinCloudFormationValidation: false });
try {
  const stageArg: unknown = app.node.tryGetContext('stage');
  const stage = resolveStage(
    typeof stageArg === 'string' && stageArg !== '' ? stageArg : undefined,
    app.node.tryGetContext(STAGES_CONTEXT_KEY),
    process.env,
    process.cwd(),
  );
  if (stage.usingExample)
    console.error(
      `No tfa-config.yaml here: synthesizing ${EXAMPLE_CONFIG} instead. Write tfa-config.yaml (docs/aws.md) or pick a stage with -c stage=<name> before deploying.`,
    );
  new ForwardAuthStack(app, stage.stackName, {
    ...stage.props,
    description: `Traefik Forward Auth (tfa-serverless), stage ${stage.name}`,
  });
  addAwsSolutionsChecks(app);
} catch (err) {
  if (!(err instanceof ConfigError || err instanceof StageError)) throw err;
  console.error(err.message);
  process.exit(1);
}
