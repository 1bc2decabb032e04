import { parseEndpointUrl } from '../config/client-assertion.js';
import { cachedTokenSource, parseSeconds, reuseUntilBeforeExpiry } from './cache.js';
import { AssertionError } from './errors.js';
import { requestTokenJson, requireAccessToken } from './http.js';
import type { AssertionSource } from './source.js';

/** The resource Entra ID issues federation tokens for; constant for every provider kind, as upstream. */
export const AZURE_TOKEN_EXCHANGE_RESOURCE = 'api://AzureADTokenExchange';

/** The Azure Instance Metadata Service, reachable from VMs, VM scale sets and AKS nodes. */
export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';

/** What a managed-identity source needs from the assertion context. */
export interface AzureManagedIdentityContext {
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  now: () => number;
  /** IMDS base URL. Only tests change it. @default DEFAULT_IMDS_ENDPOINT */
  imdsEndpoint?: string;
}

/**
 * An Azure managed-identity assertion source, for a system-assigned identity or, with `clientId`, a user-assigned one.
 *
 * Two hosts are supported, picked once at creation:
 * - App Service / Functions / Container Apps (env `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` set):
 *   `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=…[&client_id=…]` with `X-IDENTITY-HEADER`.
 * - Otherwise IMDS: `GET {imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…]` with
 *   `Metadata: true`.
 * Azure Arc, Service Fabric and Cloud Shell (which the Azure SDK also handles) are not supported. Unlike the SDK there
 * is no retry: a failure surfaces at the callback and the next login tries again.
 *
 * The token is reused until 5 minutes before it expires (`expires_in`, else `expires_on`), or half its life when that is shorter.
 *
 * @throws AssertionError `ERR_ASSERTION_CONFIG` at creation when the environment points at an unsupported host.
 */
export function createAzureManagedIdentitySource(
  clientId: string | undefined,
  ctx: AzureManagedIdentityContext,
): AssertionSource {
  const { url, headers, label } = managedIdentityRequest(clientId, ctx);

  return cachedTokenSource(async () => {
    const body = await requestTokenJson(ctx.fetch, url, { method: 'GET', headers }, label);
    const token = requireAccessToken(body, label);
    const now = ctx.now();
    return { token, reuseUntil: reuseUntilBeforeExpiry(expiresAt(body, now), now) };
  }, ctx.now);
}

function managedIdentityRequest(
  clientId: string | undefined,
  ctx: AzureManagedIdentityContext,
): { url: URL; headers: Record<string, string>; label: string } {
  const { IDENTITY_ENDPOINT: identityEndpoint, IDENTITY_HEADER: identityHeader } = ctx.env;

  let url: URL | undefined;
  let headers: Record<string, string>;
  let label: string;
  if (identityEndpoint) {
    // IDENTITY_ENDPOINT alone (Azure Arc) or with a server thumbprint (Service Fabric) speaks other protocols.
    if (!identityHeader || ctx.env.IDENTITY_SERVER_THUMBPRINT) {
      throw new AssertionError(
        'ERR_ASSERTION_CONFIG',
        'AzureManagedIdentity: IDENTITY_ENDPOINT is set but this host is not App Service ' +
          '(IDENTITY_HEADER missing or IDENTITY_SERVER_THUMBPRINT set); Azure Arc and Service Fabric are not supported',
      );
    }
    url = parseEndpointUrl(identityEndpoint);
    if (!url) {
      throw new AssertionError(
        'ERR_ASSERTION_CONFIG',
        `AzureManagedIdentity: IDENTITY_ENDPOINT '${identityEndpoint}' is not an http(s) URL`,
      );
    }
    url.searchParams.set('api-version', '2019-08-01');
    headers = { 'X-IDENTITY-HEADER': identityHeader };
    label = 'the Azure managed identity endpoint';
  } else {
    const base = (ctx.imdsEndpoint ?? DEFAULT_IMDS_ENDPOINT).replace(/\/+$/, '');
    url = parseEndpointUrl(`${base}/metadata/identity/oauth2/token`);
    if (!url) {
      throw new AssertionError('ERR_ASSERTION_CONFIG', `AzureManagedIdentity: invalid IMDS endpoint '${base}'`);
    }
    url.searchParams.set('api-version', '2018-02-01');
    headers = { Metadata: 'true' };
    label = 'Azure IMDS';
  }

  url.searchParams.set('resource', AZURE_TOKEN_EXCHANGE_RESOURCE);
  if (clientId) url.searchParams.set('client_id', clientId);
  return { url, headers, label };
}

/**
 * Absolute expiry in epoch ms. `expires_in` (relative, IMDS) is preferred because it is immune to clock skew between
 * us and the issuer; App Service only sends `expires_on` (epoch seconds).
 */
function expiresAt(body: Record<string, unknown>, now: number): number | undefined {
  const expiresIn = parseSeconds(body.expires_in);
  if (expiresIn !== undefined) return now + expiresIn * 1000;
  const expiresOn = parseSeconds(body.expires_on);
  return expiresOn === undefined ? undefined : expiresOn * 1000;
}
