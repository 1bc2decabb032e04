import { parseEndpointUrl } from '../config/client-assertion.js';
import { AZURE_TOKEN_EXCHANGE_RESOURCE } from './azure-managed-identity.js';
import { cachedTokenSource, parseSeconds, reuseUntilBeforeExpiry } from './cache.js';
import { AssertionError } from './errors.js';
import { requestTokenJson, requireAccessToken } from './http.js';
import type { AssertionSource } from './source.js';
import { readTokenFile } from './token-file.js';

/** Entra ID's public-cloud authority, used when `AZURE_AUTHORITY_HOST` is not set. */
export const DEFAULT_AZURE_AUTHORITY_HOST = 'https://login.microsoftonline.com/';

/** The federated token file is re-read at most this often (as the Azure SDK), since the kubelet rotates it. */
const FILE_REREAD_MS = 10 * 60_000;

const REQUIRED_ENV = ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE'] as const;

// Tenant IDs are GUIDs or domain names; anything else would change the token URL's path.
const TENANT_ID = /^[0-9A-Za-z.-]+$/;

/** What a workload-identity source needs from the assertion context. */
export interface AzureWorkloadIdentityContext {
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  now: () => number;
}

/**
 * Names the environment variables workload identity needs but are missing or empty, for config-time reporting.
 * @returns an empty array when all are set.
 */
export function checkAzureWorkloadIdentityEnv(env: Record<string, string | undefined>): string[] {
  return REQUIRED_ENV.filter((name) => !env[name]);
}

/**
 * An Azure workload-identity assertion source. The projected token in `AZURE_FEDERATED_TOKEN_FILE` is exchanged at
 * `{AZURE_AUTHORITY_HOST}/{AZURE_TENANT_ID}/oauth2/v2.0/token` (client-credentials grant, the file token as a
 * jwt-bearer client assertion, scope `api://AzureADTokenExchange/.default`) and the resulting Entra access token is
 * the assertion. It is reused until 5 minutes before `expires_in`, or half its life when that is shorter.
 *
 * @throws AssertionError `ERR_ASSERTION_CONFIG` at creation when a variable is missing or malformed. The authority
 * must be https, except on loopback hosts (local tests).
 */
export function createAzureWorkloadIdentitySource(ctx: AzureWorkloadIdentityContext): AssertionSource {
  const missing = checkAzureWorkloadIdentityEnv(ctx.env);
  const { AZURE_CLIENT_ID: clientId, AZURE_TENANT_ID: tenantId, AZURE_FEDERATED_TOKEN_FILE: tokenFile } = ctx.env;
  if (missing.length > 0 || !clientId || !tenantId || !tokenFile) {
    throw new AssertionError(
      'ERR_ASSERTION_CONFIG',
      `AzureWorkloadIdentity: missing environment variable(s): ${missing.join(', ')}`,
    );
  }
  if (!TENANT_ID.test(tenantId)) {
    throw new AssertionError('ERR_ASSERTION_CONFIG', `AzureWorkloadIdentity: invalid AZURE_TENANT_ID '${tenantId}'`);
  }
  const url = tokenUrl(ctx.env.AZURE_AUTHORITY_HOST || DEFAULT_AZURE_AUTHORITY_HOST, tenantId);

  let fileToken: { value: string; readAt: number } | undefined;
  const readFederatedToken = async (): Promise<string> => {
    const now = ctx.now();
    if (fileToken && now - fileToken.readAt < FILE_REREAD_MS) return fileToken.value;
    const value = await readTokenFile(tokenFile, {
      unreadable: `AzureWorkloadIdentity: failed to read federated token file '${tokenFile}'`,
      empty: `AzureWorkloadIdentity: federated token file '${tokenFile}' is empty`,
    });
    fileToken = { value, readAt: now };
    return value;
  };

  return cachedTokenSource(async () => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      scope: `${AZURE_TOKEN_EXCHANGE_RESOURCE}/.default`,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await readFederatedToken(),
    });
    const init = { method: 'POST', headers: { Accept: 'application/json' }, body: form };
    const body = await requestTokenJson(ctx.fetch, url, init, 'Entra ID');
    const token = requireAccessToken(body, 'Entra ID');
    const now = ctx.now();
    const expiresIn = parseSeconds(body.expires_in);
    const expiresAt = expiresIn === undefined ? undefined : now + expiresIn * 1000;
    return { token, reuseUntil: reuseUntilBeforeExpiry(expiresAt, now) };
  }, ctx.now);
}

function tokenUrl(authorityHost: string, tenantId: string): URL {
  const url = parseEndpointUrl(`${authorityHost.replace(/\/+$/, '')}/${tenantId}/oauth2/v2.0/token`);
  if (!url || (url.protocol === 'http:' && !isLoopback(url.hostname))) {
    throw new AssertionError(
      'ERR_ASSERTION_CONFIG',
      `AzureWorkloadIdentity: AZURE_AUTHORITY_HOST '${authorityHost}' must be an https URL`,
    );
  }
  return url;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
