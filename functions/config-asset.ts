/**
 * What the stack hands each function: its name, the environment variables it sets and the config asset. Shared by
 * infra/ (which writes them at synth) and the functions (which read them at cold start); it imports nothing heavy, so
 * the CDK app does not load the AWS SDK.
 */
import type { Config } from '../shared/config/types.js';

export type { FunctionName } from '../shared/config/routes.js';

/** The environment variables the ForwardAuth construct sets on every function. */
export const ENV = {
  /** Name of the sessions table (required). */
  tableName: 'TFA_TABLE_NAME',
  /** Path of the config asset. @default `config.json` next to the bundle */
  configPath: 'TFA_CONFIG_PATH',
  /**
   * Verify only, and only when a portal has `identityAssertion` on: the name of the SSM SecureString holding the
   * signing keys (a name, never key material).
   */
  assertionKeyParameter: 'TFA_ASSERTION_KEY_PARAMETER',
} as const;

/** File name of the normalised config inside each function's asset, next to `index.mjs`. */
export const CONFIG_ASSET_FILE = 'config.json';

/** Bumped when the shape of `Config` changes incompatibly, so an old asset fails loudly instead of half-working. */
const FORMAT = 'tfa-serverless/config@2';

/**
 * Serialises the validated, normalised config (written at `cdk synth`). It carries references to secrets (Secrets
 * Manager names or ARNs), never secret values: the synth refuses configs with inline secrets before getting here.
 */
export function serializeConfigAsset(config: Config): string {
  return `${JSON.stringify({ format: FORMAT, config }, null, 2)}\n`;
}

/**
 * Parses the config asset. The config was fully validated at synth with the shared loader, so only the envelope is
 * checked here.
 * @throws Error naming the file when the text is not a config asset of this format.
 */
export function parseConfigAsset(text: string, source: string): Config {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || !('format' in data) || data.format !== FORMAT)
    throw new Error(`${source}: not a '${FORMAT}' config asset (rebuild and redeploy with the same version)`);
  const config = 'config' in data ? data.config : undefined;
  if (typeof config !== 'object' || config === null || !('portals' in config) || !Array.isArray(config.portals))
    throw new Error(`${source}: the config asset has no portals`);
  return config as Config;
}
