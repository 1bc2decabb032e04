import { GetWebIdentityTokenCommand, type GetWebIdentityTokenCommandOutput, STSClient } from '@aws-sdk/client-sts';
import type { AwsSigningAlgorithm } from '../config/client-assertion.js';
import { cachedTokenSource } from './cache.js';
import { AssertionError } from './errors.js';
import { TOKEN_REQUEST_TIMEOUT_MS } from './http.js';
import type { AssertionSource } from './source.js';

/** Lifetime requested for each token: the STS default, and short because the token is a bearer credential. */
export const AWS_WEB_IDENTITY_DURATION_SECONDS = 300;

/** Tokens are reused until this long before `Expiration`. */
const EXPIRY_MARGIN_MS = 60_000;

/** What an AWS web-identity source needs from the assertion context. */
export interface AwsWebIdentityContext {
  /** Default `aud` when the option names none: the provider's endpoint / issuer. */
  audience: string;
  now: () => number;
  /** STS client to use. @default one client per process, region and credentials from the environment */
  stsClient?: STSClient;
}

// One client per process (Lambda container), created on first use so that other sources never pay for it.
let defaultStsClient: STSClient | undefined;
function getDefaultStsClient(): STSClient {
  defaultStsClient ??= new STSClient({});
  return defaultStsClient;
}

/**
 * An AWS IAM outbound identity federation source: STS `GetWebIdentityToken` mints a JWT whose `iss` is the account's
 * STS issuer, `sub` the caller's role ARN and `aud` the requested audience, so the deployment needs no client secret.
 * Tokens last {@link AWS_WEB_IDENTITY_DURATION_SECONDS} and are reused until 60 s before `Expiration`; concurrent
 * refreshes are coalesced.
 *
 * @param audience the `aud` to request; defaults to `ctx.audience`.
 * @throws AssertionError `ERR_ASSERTION_CONFIG` at creation when the audience is empty.
 */
export function createAwsWebIdentitySource(
  audience: string | undefined,
  signingAlgorithm: AwsSigningAlgorithm,
  ctx: AwsWebIdentityContext,
): AssertionSource {
  const aud = audience ?? ctx.audience;
  if (aud === '') throw new AssertionError('ERR_ASSERTION_CONFIG', 'AwsWebIdentity: audience is empty');
  const input = {
    Audience: [aud],
    SigningAlgorithm: signingAlgorithm,
    DurationSeconds: AWS_WEB_IDENTITY_DURATION_SECONDS,
  };

  return cachedTokenSource(async () => {
    const client = ctx.stsClient ?? getDefaultStsClient();
    let out: GetWebIdentityTokenCommandOutput;
    try {
      // The SDK sets no request timeout by default; a hung STS call must not hang the login callback.
      out = await client.send(new GetWebIdentityTokenCommand(input), {
        abortSignal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      // STS error names (e.g. OutboundWebIdentityFederationDisabledException) tell the operator what to fix.
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new AssertionError('ERR_ASSERTION_STS', `AwsWebIdentity: STS GetWebIdentityToken failed: ${reason}`, {
        cause: err,
      });
    }
    if (!out.WebIdentityToken) {
      throw new AssertionError('ERR_ASSERTION_RESPONSE', 'AwsWebIdentity: STS response has no WebIdentityToken');
    }
    const expiration = out.Expiration?.getTime();
    return {
      token: out.WebIdentityToken,
      reuseUntil: expiration === undefined ? undefined : expiration - EXPIRY_MARGIN_MS,
    };
  }, ctx.now);
}
