import type { STSClient } from '@aws-sdk/client-sts';
import type { AssertionSpec } from '../config/client-assertion.js';
import type { ProviderConfig } from '../config/types.js';
import { assertionAudience } from './audience.js';
import { createAwsWebIdentitySource } from './aws-web-identity.js';
import { createAzureManagedIdentitySource } from './azure-managed-identity.js';
import { createAzureWorkloadIdentitySource } from './azure-workload-identity.js';
import { createKubernetesSource } from './kubernetes.js';
import { createTsiamSource } from './tsiam.js';

export { AssertionError, type AssertionErrorCode } from './errors.js';

/** Produces the JWT sent as `client_assertion` (jwt-bearer) at the provider's token endpoint. */
export interface AssertionSource {
  /**
   * A fresh-enough JWT to send as `client_assertion`. Called at each code exchange; sources cache and coalesce as
   * their issuer allows.
   * @throws AssertionError when no token can be obtained (the message is safe to log).
   */
  get(): Promise<string>;
}

/** Everything a source may need from its surroundings; all of it injectable in tests. */
export interface AssertionContext {
  /** Pocket ID `endpoint` / OIDC `tokenIssuer`: the tsiam `resource` and the default AwsWebIdentity audience. */
  audience: string;
  /** The process environment (shared/ never reads `process.env` itself). */
  env: Record<string, string | undefined>;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Clock in epoch ms. @default Date.now */
  now?: () => number;
  /** Azure IMDS base URL. Only tests change it. @default 'http://169.254.169.254' */
  imdsEndpoint?: string;
  /** STS client for AwsWebIdentity. @default a process-wide client configured from the environment */
  stsClient?: STSClient;
}

/**
 * Creates the assertion source for a parsed `clientAssertion` option. Create it once per provider (at cold start),
 * not per request: sources hold the token cache.
 *
 * @throws AssertionError `ERR_ASSERTION_CONFIG` when the option cannot work in this environment (missing Azure
 * variables, empty audience, bad endpoint URL…).
 */
export function createAssertionSource(spec: AssertionSpec, ctx: AssertionContext): AssertionSource {
  const fetchFn = ctx.fetch ?? globalThis.fetch;
  const now = ctx.now ?? Date.now;

  switch (spec.kind) {
    case 'azureManagedIdentity':
      return createAzureManagedIdentitySource(spec.clientId, {
        env: ctx.env,
        fetch: fetchFn,
        now,
        imdsEndpoint: ctx.imdsEndpoint,
      });
    case 'azureWorkloadIdentity':
      return createAzureWorkloadIdentitySource({ env: ctx.env, fetch: fetchFn, now });
    case 'kubernetes':
      return createKubernetesSource(spec.path);
    case 'tsiam':
      return createTsiamSource(spec.endpoint, { audience: ctx.audience, fetch: fetchFn, now });
    case 'awsWebIdentity':
      return createAwsWebIdentitySource(spec.audience, spec.signingAlgorithm, {
        audience: ctx.audience,
        now,
        stsClient: ctx.stsClient,
      });
  }
}

/**
 * The `client_assertion` producer of a configured provider (its parsed `clientAssertion`), or undefined when it uses
 * a client secret. Created once per provider at start-up, so the source's token cache lives as long as the process.
 */
export function providerAssertion(
  p: ProviderConfig,
  env: Record<string, string | undefined>,
): (() => Promise<string>) | undefined {
  if (!p.assertion) return undefined;
  const source = createAssertionSource(p.assertion, { audience: assertionAudience(p), env });
  return () => source.get();
}
