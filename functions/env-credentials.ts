/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (scripts/build.mjs aliases it): Lambda puts
 * the execution role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
 * so the default chain's SSO, INI, process, web-identity, container and IMDS providers (and the STS/SSO clients they
 * load) are dead weight on every cold start. The standalone server keeps the full default chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
