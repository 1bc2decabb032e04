import { z } from 'zod';

/**
 * The shape of `tfa-config.yaml` as users write it: upstream v4 keys (strict: unknown keys are errors) plus our
 * `sessions` block and a few provider extensions. Semantics (defaults, normalisation, cross-field rules) live in
 * `normalize.ts`; this file only says which keys exist and their YAML types.
 */
const str = z.string();
const bool = z.boolean();
/** Durations are Go-style strings; parsed in normalize.ts so the error can name the key and value. */
export const duration = z.string();

/** `authPort` is newer upstream's way to give the public port; `authHost: host:port` is the other. */
const domain = z.strictObject({
  domain: str.optional(),
  authHost: str.optional(),
  authPort: z.number().int().optional(),
});

const server = z.strictObject({
  domains: z.array(domain).optional(),
  port: z.number().int().optional(),
  bind: str.optional(),
  basePath: str.optional(),
  tlsPath: str.optional(),
  tlsCertPEM: str.optional(),
  tlsKeyPEM: str.optional(),
  tlsCAPEM: str.optional(),
  tlsClientAuth: bool.optional(),
  trustedRequestIdHeader: str.optional(),
  favicon: str.optional(),
  /** Deprecated upstream; only used when migrating `cookies.domain`. */
  hostname: str.optional(),
});

const cookies = z.strictObject({
  namePrefix: str.optional(),
  insecure: bool.optional(),
  /** Deprecated upstream: migrated into `server.domains`. */
  domain: str.optional(),
});

const tokens = z.strictObject({
  sessionLifetime: duration.optional(),
  /** Accepted for compatibility and ignored: sessions are server-side, nothing is signed. */
  signingKey: str.optional(),
  signingKeyFile: str.optional(),
  sessionTokenAudience: str.optional(),
});

const logs = z.strictObject({
  level: str.optional(),
  omitHealthChecks: bool.optional(),
  json: bool.optional(),
  sampleSuccessfulChecks: z.number().optional(),
});

const sessions = z.strictObject({
  tableName: str.optional(),
  dynamoDBEndpoint: str.optional(),
  region: str.optional(),
  embeddedPath: str.optional(),
  verifyCacheTTL: duration.optional(),
  verifyCacheSize: z.number().int().optional(),
});

/** Our extension: Prometheus metrics of the standalone server. */
const metrics = z.strictObject({
  enabled: bool.optional(),
  bind: str.optional(),
  port: z.number().int().optional(),
});

const header = z.strictObject({ name: str.optional(), claim: str.optional(), property: str.optional() });

const providerCommon = {
  name: str.optional(),
  displayName: str.optional(),
  icon: str.optional(),
  color: str.optional(),
  requestTimeout: duration.optional(),
};

const oidcFamily = {
  ...providerCommon,
  clientID: str.optional(),
  clientSecret: str.optional(),
  clientSecretFile: str.optional(),
  /** Our extension: read the secret from this environment variable. */
  clientSecretEnv: str.optional(),
  /** Our extension (AWS): a Secrets Manager secret name or ARN holding the client secret. */
  clientSecretArn: str.optional(),
  /**
   * Our extension (AWS): the customer managed KMS key that encrypts `clientSecretArn`. The CDK stack grants
   * `kms:Decrypt` on it; required for a secret in another account (the AWS managed key cannot be shared).
   */
  clientSecretKmsKeyArn: str.optional(),
  clientAssertion: str.optional(),
  scopes: str.optional(),
  enablePKCE: bool.optional(),
  tlsInsecureSkipVerify: bool.optional(),
  tlsCACertificatePEM: str.optional(),
  tlsCACertificatePath: str.optional(),
  /** Our extension: extra ID-token/userinfo claims kept in the profile, for conditions and headers. */
  additionalClaims: z.array(str).optional(),
  /** Our extension: `POST P/logout` signs the user out at the provider too (RP-initiated logout). */
  logoutAtProvider: bool.optional(),
};

export const pocketIDSchema = z.strictObject({ ...oidcFamily, endpoint: str.optional() });
export const openIDConnectSchema = z.strictObject({ ...oidcFamily, tokenIssuer: str.optional() });

/** Keys that only the self-hosted OIDC kinds have: Google, Entra ID and GitHub talk to fixed public endpoints. */
const selfHostedOnly = {
  enablePKCE: true,
  tlsInsecureSkipVerify: true,
  tlsCACertificatePEM: true,
  tlsCACertificatePath: true,
} as const;

// Derived by omission so that client-secret keys added to `oidcFamily` apply to every kind.
const oidcFamilySchema = z.strictObject(oidcFamily);
/** Upstream has no `clientAssertion` for Google; PKCE is always on; Google has no end-session endpoint. */
export const googleSchema = oidcFamilySchema.omit({ ...selfHostedOnly, clientAssertion: true, logoutAtProvider: true });
export const microsoftEntraIDSchema = oidcFamilySchema.omit(selfHostedOnly).extend({
  tenantID: str.optional(),
  /** Deprecated upstream: `ManagedIdentity[=<id>]` or `WorkloadIdentity`, mapped to `clientAssertion: Azure…`. */
  azureFederatedIdentity: str.optional(),
});
/** Plain OAuth 2.0: no ID token, so no scopes to choose (fixed `user`), no assertion, no extra claims. */
export const githubSchema = oidcFamilySchema.omit({
  ...selfHostedOnly,
  clientAssertion: true,
  scopes: true,
  additionalClaims: true,
  logoutAtProvider: true,
});

/** Seamless sign-in from the local tailscaled (standalone only); no OAuth client at all. */
export const tailscaleWhoisSchema = z.strictObject({
  ...providerCommon,
  allowedTailnet: str.optional(),
  capabilityNames: z.array(str).optional(),
  /** Our extension: where tailscaled's LocalAPI listens (upstream uses the platform's default). */
  socketPath: str.optional(),
});

const provider = z.strictObject({
  pocketID: pocketIDSchema.optional(),
  openIDConnect: openIDConnectSchema.optional(),
  github: githubSchema.optional(),
  google: googleSchema.optional(),
  microsoftEntraID: microsoftEntraIDSchema.optional(),
  tailscaleWhois: tailscaleWhoisSchema.optional(),
});

/** Our extension: a signed identity assertion (ES256 JWT) on every forward-auth 200 (docs/identity-assertion.md). */
const identityAssertion = z.strictObject({
  enabled: bool.optional(),
  header: str.optional(),
  lifetime: duration.optional(),
  keyFile: str.optional(),
});

const portal = z.strictObject({
  name: str.optional(),
  displayName: str.optional(),
  alwaysShowProvidersPage: bool.optional(),
  /** Our extension: answer 401 (not 303) to every unauthenticated check, for nginx `auth_request`. */
  always401: bool.optional(),
  /** Our extension: identity headers carrying the user id send `<provider>:<id>`. */
  namespaceUserIds: bool.optional(),
  authenticationTimeout: duration.optional(),
  sessionLifetime: duration.optional(),
  /** Our extension: sessions in use are extended by `sessionLifetime` at a time, up to this long after sign-in. */
  sessionMaxLifetime: duration.optional(),
  /** Our extension: re-validate each session with its provider at least this often. */
  revalidateInterval: duration.optional(),
  backgroundMedium: str.optional(),
  backgroundLarge: str.optional(),
  headers: z.array(header).nullable().optional(),
  /** Our extension: answer the request's cookies without the session and state cookies (default true). */
  stripAuthCookies: bool.optional(),
  /** Our extension: a browser's 403 page names the condition it failed (it reveals the app's policy). */
  explainDenials: bool.optional(),
  identityAssertion: identityAssertion.optional(),
  providers: z.array(provider).optional(),
});

export const rawConfigSchema = z.strictObject({
  server: server.optional(),
  cookies: cookies.optional(),
  tokens: tokens.optional(),
  logs: logs.optional(),
  sessions: sessions.optional(),
  metrics: metrics.optional(),
  defaultPortal: str.optional(),
  portals: z.array(portal).optional(),
  dev: z.strictObject({ disableClientCache: bool.optional() }).optional(),
});

export type RawConfig = z.infer<typeof rawConfigSchema>;
export type RawPortal = z.infer<typeof portal>;
export type RawProvider = z.infer<typeof provider>;
export type RawPocketID = z.infer<typeof pocketIDSchema>;
export type RawOpenIDConnect = z.infer<typeof openIDConnectSchema>;
export type RawGoogle = z.infer<typeof googleSchema>;
export type RawMicrosoftEntraID = z.infer<typeof microsoftEntraIDSchema>;
export type RawGitHub = z.infer<typeof githubSchema>;
export type RawTailscaleWhois = z.infer<typeof tailscaleWhoisSchema>;
