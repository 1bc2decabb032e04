/** Where Kubernetes projects the pod's service-account token unless a path is given. */
export const DEFAULT_KUBERNETES_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** JWS algorithms AWS STS `GetWebIdentityToken` can sign with. */
export type AwsSigningAlgorithm = 'ES384' | 'RS256';

/** A parsed `clientAssertion` option: where the JWT sent as `client_assertion` comes from. */
export type AssertionSpec =
  /** Azure managed identity (IMDS or the App Service identity endpoint); `clientId` selects a user-assigned identity. */
  | { kind: 'azureManagedIdentity'; clientId?: string }
  /** Azure workload identity (federated token file exchanged at Entra ID for an access token). */
  | { kind: 'azureWorkloadIdentity' }
  /** A (projected) Kubernetes service-account token read from `path`. */
  | { kind: 'kubernetes'; path: string }
  /** A tsiam sidecar/service at `endpoint`. */
  | { kind: 'tsiam'; endpoint: string }
  /** AWS STS `GetWebIdentityToken`; `audience` defaults to the provider's endpoint/issuer. Our extension. */
  | { kind: 'awsWebIdentity'; audience?: string; signingAlgorithm: AwsSigningAlgorithm };

const EXPECTED =
  'expected one of AzureManagedIdentity[=<client-id>], AzureWorkloadIdentity, ' +
  'KubernetesServiceAccountToken[=<path>], tsiam=<endpoint>, AwsWebIdentity[:ES384|:RS256][=<audience>]';

/**
 * Parses an absolute http(s) endpoint URL, or returns undefined. Shared with the tsiam source so that config
 * validation and source creation agree on what is valid.
 */
export function parseEndpointUrl(endpoint: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}

/**
 * Parses a `clientAssertion` config value.
 *
 * The keyword (text before the first `=`) is matched case-insensitively; the text after `=` keeps its case (upstream
 * lower-cases the whole value, which mangles paths and URLs). Accepted forms:
 * - `AzureManagedIdentity` (system-assigned) and `AzureManagedIdentity=<client-id>` (user-assigned; an empty id means
 *   system-assigned, as upstream)
 * - `AzureWorkloadIdentity`
 * - `KubernetesServiceAccountToken` and `KubernetesServiceAccountToken=<path>` (an empty path is an error)
 * - `tsiam=<endpoint>` (an absolute http(s) URL)
 * - `AwsWebIdentity[=<audience>]`, optionally with the signing algorithm as a keyword suffix:
 *   `AwsWebIdentity:RS256[=<audience>]` or `AwsWebIdentity:ES384[=<audience>]`. ES384 is the default. The algorithm sits
 *   in the keyword, not after `=`, so an audience may contain any character.
 *
 * An empty value means "no client assertion" upstream; callers skip parsing for it.
 *
 * @returns `{ spec }`, or `{ error }` with a message naming the bad value (the caller prefixes the key path).
 */
export function parseClientAssertion(value: string): { spec: AssertionSpec } | { error: string } {
  const eq = value.indexOf('=');
  const keyword = (eq === -1 ? value : value.slice(0, eq)).toLowerCase();
  const arg = eq === -1 ? undefined : value.slice(eq + 1);
  const invalid = (reason: string) => ({ error: `invalid value '${value}': ${reason}` });

  switch (keyword) {
    case 'azuremanagedidentity':
      return { spec: arg ? { kind: 'azureManagedIdentity', clientId: arg } : { kind: 'azureManagedIdentity' } };

    case 'azureworkloadidentity':
      if (arg !== undefined) return invalid('AzureWorkloadIdentity takes no value (set the AZURE_* variables)');
      return { spec: { kind: 'azureWorkloadIdentity' } };

    case 'kubernetesserviceaccounttoken':
      if (arg === undefined) return { spec: { kind: 'kubernetes', path: DEFAULT_KUBERNETES_TOKEN_PATH } };
      if (arg === '') return invalid('token path is empty');
      return { spec: { kind: 'kubernetes', path: arg } };

    case 'tsiam':
      if (!arg) return invalid('tsiam endpoint is empty (use tsiam=<endpoint>)');
      if (!parseEndpointUrl(arg)) return invalid('failed to parse endpoint URL: must be an absolute http(s) URL');
      return { spec: { kind: 'tsiam', endpoint: arg } };
  }

  if (keyword === 'awswebidentity' || keyword.startsWith('awswebidentity:')) {
    const alg = keyword === 'awswebidentity' ? 'ES384' : keyword.slice('awswebidentity:'.length).toUpperCase();
    let signingAlgorithm: AwsSigningAlgorithm;
    if (alg === 'ES384') signingAlgorithm = 'ES384';
    else if (alg === 'RS256') signingAlgorithm = 'RS256';
    else return invalid(`unsupported signing algorithm '${alg}' (use ES384 or RS256)`);
    if (arg === undefined) return { spec: { kind: 'awsWebIdentity', signingAlgorithm } };
    if (arg === '') return invalid('audience is empty');
    return { spec: { kind: 'awsWebIdentity', audience: arg, signingAlgorithm } };
  }

  return invalid(EXPECTED);
}
