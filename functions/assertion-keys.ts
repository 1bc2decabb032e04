/**
 * The identity-assertion keys of the verify function (DESIGN §3.6, §3.12): the key set the stack's custom resource
 * wrote to one SSM SecureString, read once per container (the first read starts during the cold start, in parallel
 * with it) and only when a portal has `identityAssertion` on. This is the only key the verify function may load.
 */
import { IdentityAssertions } from '../shared/identity/assertion.js';
import { keySetFromPrivateJwks, parseStoredKeys } from '../shared/identity/keys.js';
import { ENV } from './config-asset.js';
import type { LambdaRuntime } from './runtime.js';

/**
 * The assertions by portal name, or undefined when no portal has the feature on (then SSM is never touched).
 * @throws Error at cold start when a portal has it on but the stack did not set the parameter name.
 */
export function lambdaAssertions(rt: LambdaRuntime): Map<string, IdentityAssertions> | undefined {
  const portals = rt.config.portals.filter((p) => p.identityAssertion);
  if (portals.length === 0) return undefined;
  const parameter = rt.env[ENV.assertionKeyParameter];
  if (!parameter)
    throw new Error(
      `${ENV.assertionKeyParameter} is not set although identityAssertion is on: the ForwardAuth stack sets it; redeploy the stack`,
    );
  const assertions = new IdentityAssertions(
    async () => {
      const { readSecureParameter } = await import('./ssm-parameter.js');
      const source = `SSM parameter '${parameter}'`;
      return keySetFromPrivateJwks(parseStoredKeys(await readSecureParameter(parameter), source), source);
    },
    { max: rt.config.sessions.verifyCacheSize },
  );
  // Start loading now: Lambda's init phase runs at full CPU, and a failure is logged here and retried by a request.
  assertions.keySet().catch((err: unknown) => rt.log.error('Cannot load the identity assertion keys', { err }));
  return new Map(portals.map((p) => [p.name, assertions]));
}
