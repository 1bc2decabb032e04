import type { AssertionSpec } from './client-assertion.js';

/**
 * The validated, normalised configuration. Produced once by `loadConfig` (YAML → schema → normalisation) and, on
 * AWS, serialised at synth time into the JSON asset the functions read. Durations are milliseconds.
 */
export interface Config {
  server: ServerConfig;
  cookies: CookiesConfig;
  tokens: TokensConfig;
  logs: LogsConfig;
  sessions: SessionsConfig;
  metrics: MetricsConfig;
  /** Lower-cased name of the portal also mounted at `{basePath}/`. */
  defaultPortal?: string;
  portals: PortalConfig[];
  dev: { disableClientCache: boolean };
}

export interface DomainConfig {
  /** Cookie domain and host suffix matched against request hosts. Lower-case, no trailing dot, no port. */
  domain: string;
  /** Public host of the auth server for this domain, maybe with `:port` (`:443` dropped). Defaults to `domain`. */
  authHost: string;
}

export interface ServerConfig {
  domains: DomainConfig[];
  /** @default 4181 */
  port: number;
  /** @default '0.0.0.0' */
  bind: string;
  /** '' or '/prefix' (leading slash, no trailing slash). */
  basePath: string;
  trustedRequestIdHeader?: string;
  favicon?: string;
  tlsPath?: string;
  tlsCertPEM?: string;
  tlsKeyPEM?: string;
  tlsCAPEM?: string;
  tlsClientAuth: boolean;
}

export interface CookiesConfig {
  /** @default 'tf_sess' */
  namePrefix: string;
  insecure: boolean;
}

export interface TokensConfig {
  /** @default 2h */
  sessionLifetime: number;
  sessionTokenAudience?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogsConfig {
  level: LogLevel;
  json: boolean;
  omitHealthChecks: boolean;
  /**
   * Share (0–1) of successful forward-auth checks (2xx) that get an access-log line; errors, denials and sign-ins are
   * always logged. Unset: every check on the standalone server, none on Lambda (where each line is billed).
   */
  sampleSuccessfulChecks?: number;
}

/** Where sessions and login state live (our extension: upstream has no server-side store). */
/** Prometheus `/metrics` of the standalone server (bin/metrics.ts); Lambda writes CloudWatch EMF instead. */
export interface MetricsConfig {
  enabled: boolean;
  /**
   * A listener of its own (`bind`:`port`), so the metrics are not reachable wherever the auth server is.
   * @default - `/metrics` on the server's own listener
   */
  listen?: { bind: string; port: number };
}

export interface SessionsConfig {
  /** DynamoDB table name. @default 'tfa-sessions' */
  tableName: string;
  /** Real DynamoDB (or compatible) endpoint; unset in standalone mode means the embedded store. */
  dynamoDBEndpoint?: string;
  /** AWS region of the table. */
  region?: string;
  /** Directory for the embedded store; unset means in memory. */
  embeddedPath?: string;
  /** Per-process verify cache TTL in ms; 0 disables. @default 10s */
  verifyCacheTTL: number;
  /** Maximum number of cached session lookups. @default 10000 */
  verifyCacheSize: number;
}

export type HeaderSource = { claim: string } | { property: 'portal.name' | 'provider.name' };
export interface HeaderConfig {
  /** Canonical header name (e.g. `X-Forwarded-User`). */
  name: string;
  source: HeaderSource;
}

export interface PortalConfig {
  /** Lower-cased, 2-40 chars, starts with a letter. */
  name: string;
  displayName: string;
  alwaysShowProvidersPage: boolean;
  /**
   * Answer 401 with the sign-in URL instead of 303 to every unauthenticated forward-auth check (nginx `auth_request`
   * turns a 3xx into a 500). Non-browser requests get 401 even without it. @default false
   */
  always401: boolean;
  /**
   * Identity headers that carry the user id (`X-Forwarded-User`, or any header mapped to the `id` claim) send
   * `<provider>:<id>`, so two providers of the portal that issue the same id never look like one user to the app.
   * @default false
   */
  namespaceUserIds: boolean;
  /** @default 5m */
  authenticationTimeout: number;
  /** Effective session lifetime (the portal override or `tokens.sessionLifetime`). */
  sessionLifetime: number;
  /**
   * Absolute cap on a session, in ms after sign-in: a session in use is extended by `sessionLifetime` at a time,
   * without user interaction, until then (docs/sessions.md). @default undefined - sessions end `sessionLifetime`
   * after sign-in
   */
  sessionMaxLifetime?: number;
  /**
   * How often, in ms, a session is re-validated with its provider (refresh-token grant, else a silent `prompt=none`
   * round trip on a browser navigation); past it, the session is not accepted until it is. @default undefined - never
   */
  revalidateInterval?: number;
  backgroundMedium?: string;
  backgroundLarge?: string;
  /** `undefined` = the three default identity headers; `[]` = none. */
  headers?: HeaderConfig[];
  /**
   * On a 200, answer a `Cookie` header holding the request's cookies without the session and state cookies, for the
   * proxy to put in place of the browser's, so the session token never reaches the app (DESIGN §3.12). @default true
   */
  stripAuthCookies: boolean;
  /**
   * A browser's 403 page (a failed `?if=` / `X-Forward-Auth-If` condition) shows the condition the app requires; off,
   * it says only that access was denied and by which portal (the condition reveals the app's policy). @default false
   */
  explainDenials: boolean;
  /** The signed identity assertion on every 200; `undefined` when turned off (the default). */
  identityAssertion?: IdentityAssertionConfig;
  /** The OAuth/OIDC providers, offered on the sign-in page. */
  providers: ProviderConfig[];
  /**
   * `tailscaleWhois` (standalone only): checks without a session ask the local tailscaled who the client is. Kept out
   * of `providers` because it has no sign-in step: the check itself answers 200 with the identity, or 401/403.
   */
  tailscaleWhois?: TailscaleWhoisConfig;
}

/** A portal's `tailscaleWhois` provider (docs/config.md). */
export interface TailscaleWhoisConfig {
  /** Lower-cased; default `tailscalewhois`. Unique in the portal, among the other providers too. */
  name: string;
  displayName: string;
  icon: string;
  color: string;
  /** ms; @default 10s. The LocalAPI call's timeout. */
  requestTimeout: number;
  /** Only devices of this tailnet (e.g. `example.ts.net`) are let in; others get 403. */
  allowedTailnet?: string;
  /** ACL grant capabilities copied into the profile as `https://<name>` claims (`host/path`, no scheme). */
  capabilityNames: string[];
  /** Unix socket of tailscaled's LocalAPI. @default '/var/run/tailscale/tailscaled.sock' */
  socketPath: string;
  /** Key path in the config file (`portals[0].providers[1].tailscaleWhois`), for errors at synth and in logs. */
  path: string;
}

/** `identityAssertion` of a portal that has it enabled (docs/identity-assertion.md). */
export interface IdentityAssertionConfig {
  /** Canonical name of the response header carrying the JWT. @default 'X-Forward-Auth-Assertion' */
  header: string;
  /** Longest validity of an assertion in ms (never past the session's expiry), 30s to 1h. @default 5m */
  lifetime: number;
  /**
   * PEM file with the EC P-256 signing key(s), PKCS#8: the first signs, a second one is published as the next key.
   * @default - a key generated once and kept in the embedded store's directory (standalone), or the stack's (AWS)
   */
  keyFile?: string;
}

export type ProviderType = 'pocketID' | 'openIDConnect' | 'google' | 'microsoftEntraID' | 'github' | 'tailscaleWhois';

/** Where a client secret comes from. Resolved lazily by `shared/secrets` (only the callback needs it). */
export type SecretRef =
  | { kind: 'inline'; value: string }
  | { kind: 'file'; path: string }
  | { kind: 'env'; name: string }
  | {
      kind: 'secretsManager';
      secretId: string;
      jsonKey?: string;
      /** `clientSecretKmsKeyArn`: the CDK stack grants `kms:Decrypt` on it (the SDK decrypts transparently). */
      kmsKeyArn?: string;
    };

export interface ProviderTLSConfig {
  insecureSkipVerify: boolean;
  /** PEM text of the extra CA(s) (from `tlsCACertificatePEM` or read from `tlsCACertificatePath`). */
  caPEM?: string;
}

interface ProviderBase {
  /** Lower-cased; default = the lower-cased type. Unique in the portal. */
  name: string;
  displayName: string;
  icon: string;
  color: string;
  /** ms; @default 10s */
  requestTimeout: number;
}

/** The OAuth 2.0 client every provider kind has. Google, Entra ID and GitHub fix some fields (see each type). */
export interface OIDCFamilyConfig extends ProviderBase {
  clientID: string;
  clientSecret?: SecretRef;
  /** Raw `clientAssertion` option value, when configured (Pocket ID, generic OIDC and Entra ID only). */
  clientAssertion?: string;
  /** `clientAssertion` parsed once at load time: where the `client_assertion` JWT comes from. */
  assertion?: AssertionSpec;
  scopes: string[];
  /** Configurable for Pocket ID and generic OIDC; always true for Google, Entra ID and GitHub. */
  enablePKCE: boolean;
  /** Configurable for Pocket ID and generic OIDC; the defaults for the fixed public endpoints of the others. */
  tls: ProviderTLSConfig;
  /** Extra claims kept in the profile (our extension). */
  additionalClaims: string[];
  /** `POST P/logout` goes on to the provider's end-session endpoint (our extension; never for Google or GitHub). */
  logoutAtProvider: boolean;
}

export interface PocketIDConfig extends OIDCFamilyConfig {
  type: 'pocketID';
  /** Trailing slashes trimmed; also the expected issuer. */
  endpoint: string;
}

export interface OpenIDConnectConfig extends OIDCFamilyConfig {
  type: 'openIDConnect';
  tokenIssuer: string;
}

/** Google: fixed endpoints and issuer `https://accounts.google.com`; keeps `hd` (the Workspace domain). */
export interface GoogleConfig extends OIDCFamilyConfig {
  type: 'google';
}

/** Microsoft Entra ID: fixed endpoints under `login.microsoftonline.com/{tenantID}`; user ID = `oid`. */
export interface MicrosoftEntraIDConfig extends OIDCFamilyConfig {
  type: 'microsoftEntraID';
  /** A directory (tenant) ID, lower-cased, or one of the multi-tenant authorities `common`, `organizations`, `consumers`. */
  tenantID: string;
}

/**
 * GitHub: plain OAuth 2.0 and a GraphQL profile; user ID = login. Not OpenID Connect: `scopes` is always `['user']`,
 * with no assertion and no additional claims.
 */
export interface GitHubConfig extends OIDCFamilyConfig {
  type: 'github';
}

/** The OpenID Connect providers (an ID token, openid-client's OIDC checks). */
export type OIDCProviderConfig = PocketIDConfig | OpenIDConnectConfig | GoogleConfig | MicrosoftEntraIDConfig;

export type ProviderConfig = OIDCProviderConfig | GitHubConfig;
