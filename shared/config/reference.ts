/**
 * What each key of `tfa-config.yaml` means, kept beside `schema.ts` so that a key and its documentation change
 * together: `npm run docs` renders `docs/config.md` and `tfa-config.example.yaml` from the schema's shape plus this
 * map, and a test fails when a schema key has no entry here (or an entry names no key).
 *
 * It lives in its own module, not as zod `.describe()` calls, so the prose stays out of the Lambda bundles. It imports
 * nothing: the config module is the ground floor of `shared/`.
 *
 * Paths are the schema's: `server.port`, `portals[].name`, `portals[].providers[].pocketID.endpoint`. A provider key
 * shared by several kinds is documented once as `portals[].providers[].*.<key>`; an exact entry wins over it.
 * Markdown is allowed in `description`; `default` and `example` are YAML values as a user would write them.
 */
export interface KeyDoc {
  description: string;
  /** The value used when the key is absent, as YAML, or prose such as "required" (shown as is). */
  default?: string;
  /** A YAML value for the key (leaves only); checked against the schema by the docs test. */
  example?: string;
  /** Not in upstream Traefik Forward Auth v4. */
  ours?: boolean;
  /** Accepted for compatibility; do not use in new configs. */
  deprecated?: boolean;
}

/** Provider keys shared by several kinds (`*`) are looked up under this prefix. */
export const PROVIDER_PREFIX = 'portals[].providers[].';

export const KEY_DOCS: Record<string, KeyDoc> = {
  server: { description: 'Where this server listens and which hosts it serves.' },
  'server.domains': {
    description:
      'The domains this server sets cookies on. With none, any host is accepted and used as-is (sub-path mode); with some, a request whose host matches none gets `400 Request host is not associated with this auth server`.',
  },
  'server.domains[].domain': {
    description:
      'Cookie domain, matched as a suffix of request hosts (the longest match wins). Lower-cased; trailing dot and port dropped. An IP address is allowed and matched exactly (host-only cookies, no `authHost`/`authPort`): with domains set, a request, return URL or redirect whose host is an IP address is refused with 400 unless that address is listed. Duplicates are dropped.',
    default: 'required',
    example: 'example.com',
  },
  'server.domains[].authHost': {
    description:
      'Public host (optionally `:port`; `:443` is dropped) where browsers reach this server for that domain; must be `domain` or a sub-domain of it.',
    default: 'the `domain`',
    example: 'auth.example.com',
  },
  'server.domains[].authPort': {
    description:
      'Public port of `authHost`, for a front door on a non-standard port (upstream’s key; `authHost: host:port` does the same). `443` is left out of URLs. Not together with a port in `authHost`.',
    default: '443',
    example: '8443',
  },
  'server.port': { description: 'Listen port (standalone; `--port` overrides it).', default: '4181', example: '4181' },
  'server.bind': {
    description: 'Listen address (standalone; `--bind` overrides it).',
    default: '0.0.0.0',
    example: '127.0.0.1',
  },
  'server.basePath': {
    description: 'Prefix of every route except `/healthz` and `/api/...`.',
    default: '""',
    example: '/auth',
  },
  'server.tlsPath': {
    description:
      'Standalone HTTPS: folder holding `tls-cert.pem` and `tls-key.pem`, and `tls-ca.pem` for `tlsClientAuth` (default: the config file’s folder). Set explicitly, a file that cannot be read stops the server at start; the default folder without them means plain HTTP, logged at start. No hot reload.',
    example: '/etc/tfa/tls',
  },
  'server.tlsCertPEM': {
    description: 'Standalone HTTPS: the certificate chain, inline PEM (set together with `tlsKeyPEM`).',
    example: '"-----BEGIN CERTIFICATE-----\\n..."',
  },
  'server.tlsKeyPEM': {
    description: 'Standalone HTTPS: the private key, inline PEM (set together with `tlsCertPEM`).',
    example: '"-----BEGIN PRIVATE KEY-----\\n..."',
  },
  'server.tlsCAPEM': {
    description:
      'CA certificate(s) (PEM) that sign the proxy’s client certificates, for `tlsClientAuth`; else `tls-ca.pem` in `tlsPath`. Invalid PEM is an error.',
    example: '"-----BEGIN CERTIFICATE-----\\n..."',
  },
  'server.tlsClientAuth': {
    description:
      'Standalone mTLS, as upstream: the server asks every client for a certificate signed by the CA (`tlsCAPEM` or `tls-ca.pem` in `tlsPath`); a certificate that does not verify ends the connection, and the forward-auth check (`GET P`) answers 401 `Client certificate not provided` without one, while browser pages work without. Needs server HTTPS and a CA, else the server refuses to start. Not on AWS (put mTLS on the API Gateway custom domain).',
    default: 'false',
    example: 'false',
  },
  'server.trustedRequestIdHeader': {
    description: 'Request header used as the request id (echoed as `X-Request-Id`); without it a random UUID.',
    example: 'X-Request-Id',
  },
  'server.favicon': {
    description:
      'Favicon of the pages: base64 (padding optional) or an http(s) URL downloaded at start; PNG, ICO or SVG.',
    example: 'https://example.com/favicon.png',
  },
  'server.hostname': {
    description: 'Only used when migrating `cookies.domain` (as its `authHost`); otherwise ignored with a warning.',
    deprecated: true,
    example: 'auth.example.com',
  },

  cookies: { description: 'Names and attributes of the cookies this server sets.' },
  'cookies.namePrefix': {
    description:
      'The session cookie is `<namePrefix>_<portal>`; state cookies are `tf_state_<portal>_<id>`. Letters, digits, `_` and `-`.',
    default: 'tf_sess',
    example: 'tf_sess',
  },
  'cookies.insecure': {
    description: 'Omit the `Secure` attribute (plain-HTTP development only).',
    default: 'false',
    example: 'false',
  },
  'cookies.domain': {
    description: 'Migrated to `server.domains` with a warning; cannot be combined with it.',
    deprecated: true,
    example: 'example.com',
  },

  tokens: { description: 'Session lifetime and the audience reported by the verify API.' },
  'tokens.sessionLifetime': {
    description: 'How long a session lasts (at least `1m`), fixed at login.',
    default: '2h',
    example: '8h',
  },
  'tokens.signingKey': {
    description: 'Accepted for compatibility and **ignored**: sessions are server-side, nothing is signed.',
    deprecated: true,
    example: '"..."',
  },
  'tokens.signingKeyFile': {
    description: 'Accepted for compatibility and **ignored**, like `signingKey`.',
    deprecated: true,
    example: '/run/secrets/signing-key',
  },
  'tokens.sessionTokenAudience': {
    description: 'The `aud` reported by `GET /api/portals/<portal>/verify`.',
    default: '`<cookie domain or host><basePath>`',
    example: 'https://auth.example.com',
  },

  logs: { description: 'Log level and format.' },
  'logs.level': {
    description: 'One of `debug`, `info`, `warn` (or `warning`), `error`.',
    default: 'info',
    example: 'info',
  },
  'logs.omitHealthChecks': { description: 'Do not log `GET /healthz`.', default: 'true', example: 'true' },
  'logs.sampleSuccessfulChecks': {
    description:
      'Share (0 to 1) of successful forward-auth checks (2xx answers of `GET P`) that get an access-log line, chosen at random. Errors, denials (401, 403, the 303 to sign-in), sign-ins and every other route are always logged. On Lambda each line is billed by CloudWatch Logs (a line per check costs about as much as the Lambda request), hence none by default; metrics do not depend on it (see [aws.md](aws.md#metrics-and-logs)).',
    default: '`1` standalone, `0` on Lambda',
    example: '0.01',
  },
  'logs.json': {
    description:
      'One JSON object per line instead of text. Unset: text when standard output is a terminal, JSON otherwise (a container, a service manager), as upstream documents. Lambda always logs JSON.',
    default: 'text on a terminal, else JSON',
    example: 'true',
  },

  sessions: {
    description: 'Where sessions and login states live: the embedded store (default) or a DynamoDB table.',
    ours: true,
  },
  'sessions.tableName': { description: 'DynamoDB table name.', default: 'tfa-sessions', example: 'tfa-sessions' },
  'sessions.dynamoDBEndpoint': {
    description:
      'A real DynamoDB (or compatible) endpoint; unset means the embedded store. Credentials come from the standard AWS chain. Cannot be combined with `embeddedPath`.',
    example: 'https://dynamodb.eu-west-1.amazonaws.com',
  },
  'sessions.region': {
    description: 'Region of the table.',
    default: '`AWS_REGION`, else us-east-1',
    example: 'eu-west-1',
  },
  'sessions.embeddedPath': {
    description: 'Keep the embedded store on disk in this folder, so sessions survive restarts (`--data-dir`).',
    example: '/var/lib/tfa',
  },
  'sessions.verifyCacheTTL': {
    description: 'Per-process cache of session lookups on the verify path; `0` disables it.',
    default: '10s',
    example: '10s',
  },
  'sessions.verifyCacheSize': {
    description: 'Entries in that cache (at least 1).',
    default: '10000',
    example: '10000',
  },

  metrics: {
    description:
      'Our extension: Prometheus metrics of the standalone server at `GET /metrics` (forward-auth decisions by outcome, logins by provider and result, verify-cache lookups and hit ratio, session-store latency, Node process metrics). Ignored on AWS, where the functions write CloudWatch metrics ([aws.md](aws.md#metrics-and-logs)).',
  },
  'metrics.enabled': { description: 'Serve `GET /metrics`.', default: 'false', example: 'true' },
  'metrics.port': {
    description:
      "Serve `/metrics` on a listener of its own at `metrics.bind`:`metrics.port`, so that only what reaches that address can read it. Unset, `/metrics` is answered on the server's own listener, where anything that reaches the auth server (through a proxy routing the whole auth host, for instance) reaches it too.",
    default: "the server's own listener",
    example: '9464',
  },
  'metrics.bind': {
    description: 'Address of that listener (needs `metrics.port`).',
    default: '127.0.0.1',
    example: '0.0.0.0',
  },

  defaultPortal: {
    description:
      'Name of a portal also served at `{basePath}/` (upstream v3-style URLs: `/`, `/signin`, `/oauth2/callback`, ...).',
    example: 'main',
  },

  portals: {
    description: 'The portals: each has its own routes (`/portals/<name>/...`), session cookie and providers.',
    default: 'required',
  },
  'portals[].name': {
    description: '2–40 characters: a letter, then letters, digits, `-`, `_` or `.`; lower-cased; unique.',
    default: 'required',
    example: 'main',
  },
  'portals[].displayName': {
    description: 'Title of the portal pages.',
    default: 'the `name`',
    example: 'Example Inc.',
  },
  'portals[].alwaysShowProvidersPage': {
    description: 'Show the provider chooser even when there is only one provider.',
    default: 'false',
    example: 'false',
  },
  'portals[].always401': {
    description:
      'Answer 401 + `X-Forward-Auth-Signin-Url` instead of 303 to every unauthenticated forward-auth check (a request carrying `X-Forwarded-Uri`), for nginx `auth_request`; a browser opening the portal itself still gets the sign-in page. Requests with `Accept: application/json` (without `text/html`) or `X-Requested-With: XMLHttpRequest` get 401 anyway.',
    ours: true,
    default: 'false',
    example: 'false',
  },
  'portals[].namespaceUserIds': {
    description:
      'Identity headers that carry the user id (`X-Forwarded-User`, or a custom header mapped to the `id` claim) send `<provider>:<id>` instead of the bare id. A portal with several providers should turn this on: two providers can issue the same id for different people (a warning at start-up says so).',
    ours: true,
    default: 'false',
    example: 'false',
  },
  'portals[].authenticationTimeout': {
    description: 'Time to finish the login round trip (at least `5s`; below `1ms` means `5m`).',
    default: '5m',
    example: '5m',
  },
  'portals[].sessionLifetime': {
    description: 'Per-portal session lifetime (at least `1m`; `0` or negative inherits).',
    default: '`tokens.sessionLifetime`',
    example: '12h',
  },
  'portals[].sessionMaxLifetime': {
    description:
      "Absolute cap on a session after sign-in. When set, a session in use is extended by `sessionLifetime` at a time, without user interaction (the browser passes once through `P/oauth2/renew` on a navigation in the second half of the session's current lifetime), until this long after sign-in; it must be at least `sessionLifetime`. Unset or `0`: a session ends `sessionLifetime` after sign-in, however active the user is. See docs/sessions.md.",
    ours: true,
    default: 'unset (no extension)',
    example: '24h',
  },
  'portals[].revalidateInterval': {
    description:
      'Re-validate each session with its provider at least this often (at least `30s`): with a refresh-token grant when the provider issued a refresh token (ask for one, e.g. with the `offline_access` scope), else a silent `prompt=none` round trip on a browser navigation. A user disabled or removed at the provider loses access within this interval; past it, a session not yet re-validated is not accepted (browsers are sent through the re-validation, other clients get 401). Unset or `0`: never. See docs/sessions.md.',
    ours: true,
    default: 'unset (never)',
    example: '15m',
  },
  'portals[].backgroundMedium': {
    description: 'Background image of the pages on medium screens: an http(s) URL or an absolute path.',
    default: 'bundled',
    example: 'https://example.com/bg-medium.webp',
  },
  'portals[].backgroundLarge': {
    description: 'Background image of the pages on large screens: an http(s) URL or an absolute path.',
    default: 'bundled',
    example: 'https://example.com/bg-large.webp',
  },
  'portals[].headers': {
    description:
      'Identity headers sent to the app. Absent: `X-Forwarded-User` (the user id), `X-Authenticated-User` (JSON) and `X-Forwarded-Displayname`. `[]`: none. A list: exactly those. Empty values and values over 1 KB are omitted; groups and roles are space-joined.',
    default: 'the three headers above',
  },
  'portals[].headers[].name': {
    description: 'Header name (canonicalised, e.g. `x-user` → `X-User`).',
    default: 'required',
    example: 'X-Forwarded-Email',
  },
  'portals[].headers[].claim': {
    description: 'Claim of the profile to send (e.g. `email`, `groups`, or one of `additionalClaims`).',
    example: 'email',
  },
  'portals[].headers[].property': {
    description: 'Instead of a claim: `portal.name` or `provider.name`.',
    example: 'provider.name',
  },
  'portals[].stripAuthCookies': {
    description:
      "On a 200, answer a `Cookie` header with the request's cookies minus every `<cookies.namePrefix>_*` session cookie and `tf_state_*` login-state cookie (no `Cookie` when nothing is left); the proxy recipes put it in place of the browser's, so the session token never reaches an app ([proxies](proxies.md#cookies-the-app-never-sees-the-session-token)). With `false` no `Cookie` is answered: remove `Cookie` from the proxy's copied headers too, or the app gets no cookies.",
    ours: true,
    default: 'true',
    example: 'true',
  },
  'portals[].explainDenials': {
    description:
      'When a browser navigation fails the condition (`?if=` or `X-Forward-Auth-If`), its 403 page shows the condition the app requires ("You\'re signed in as alice@example.com, but this app requires `Group("admins")`"). Off, the page says only that access was denied and by which portal, since the condition reveals the app\'s policy. Non-browser clients always get upstream\'s text.',
    ours: true,
    default: 'false',
    example: 'true',
  },
  'portals[].identityAssertion': {
    description:
      "A signed identity assertion on every forward-auth 200: an ES256 JWT with `iss` = the portal URL, `aud` = the app's origin, `sub`, `provider`, `email`, `name`, `groups`; the public keys at `P/.well-known/jwks.json` ([identity-assertion.md](identity-assertion.md)).",
    ours: true,
    default: 'off',
  },
  'portals[].identityAssertion.enabled': {
    description: 'Turn the assertion on (the block is validated even while it is off).',
    ours: true,
    default: 'false',
    example: 'true',
  },
  'portals[].identityAssertion.header': {
    description:
      "Response header carrying the JWT; add it to the proxy's copied headers. Not `Cookie`, `Set-Cookie`, `Authorization`, `Host`, `Content-*` or `X-Forwarded-*`.",
    ours: true,
    default: 'X-Forward-Auth-Assertion',
    example: 'X-Forward-Auth-Assertion',
  },
  'portals[].identityAssertion.lifetime': {
    description: "Longest validity of one assertion, `30s` to `1h`; never past the session's own expiry.",
    ours: true,
    default: '5m',
    example: '5m',
  },
  'portals[].identityAssertion.keyFile': {
    description:
      'PEM file with 1-3 EC P-256 private keys, unencrypted PKCS#8 (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`): the first signs, all are published (the next key, for rotation). Standalone default: a key set generated once and kept in `sessions.embeddedPath` (in memory, with a warning, when unset). Not accepted on AWS: the stack creates the keys.',
    ours: true,
    default: 'generated',
    example: '/etc/tfa/assertion-key.pem',
  },
  'portals[].providers': {
    description:
      'The identity providers of the portal; each element sets exactly one kind. Provider names must be unique in the portal.',
    default: 'required',
  },

  // Keys shared by provider kinds.
  'portals[].providers[].*.name': {
    description: 'Provider name used in URLs and sessions (2–40 characters: a letter, then letters, digits, `-_.`).',
    default: 'the kind, lower-cased',
    example: 'pocket-id',
  },
  'portals[].providers[].*.displayName': {
    description: 'Name shown on the sign-in button.',
    default: 'per kind',
    example: 'Pocket ID',
  },
  'portals[].providers[].*.icon': {
    description: 'Icon of the sign-in button (a bundled icon name).',
    default: 'per kind',
    example: 'pocketid',
  },
  'portals[].providers[].*.color': {
    description: 'Colour of the sign-in button (a palette name such as `zinc`, `cyan`, `emerald`).',
    default: 'per kind',
    example: 'zinc',
  },
  'portals[].providers[].*.requestTimeout': {
    description: 'Timeout of each request to the provider (below `1s` means `10s`).',
    default: '10s',
    example: '10s',
  },
  'portals[].providers[].*.clientID': {
    description: 'OAuth client ID registered at the provider.',
    default: 'required',
    example: '2f1c0e4b-...',
  },
  'portals[].providers[].*.clientSecret': {
    description:
      'Client secret, inline. Set exactly one client credential: `clientSecret`, `clientSecretFile`, `clientSecretEnv`, `clientSecretArn` or `clientAssertion`.',
    example: '"..."',
  },
  'portals[].providers[].*.clientSecretFile': {
    description: 'File holding the client secret (trimmed; must exist and be non-empty at start).',
    example: '/run/secrets/oauth-client-secret',
  },
  'portals[].providers[].*.clientSecretEnv': {
    description: 'Environment variable holding the client secret.',
    ours: true,
    example: 'POCKET_ID_CLIENT_SECRET',
  },
  'portals[].providers[].*.clientSecretArn': {
    description:
      'AWS Secrets Manager secret name or ARN holding the client secret (cached for 5 minutes). At `cdk synth` a provider with no credential gets a secret created for it.',
    ours: true,
    example: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:tfa/pocket-id',
  },
  'portals[].providers[].*.clientSecretKmsKeyArn': {
    description:
      'The customer managed KMS key that encrypts `clientSecretArn`; the CDK stack grants `kms:Decrypt` on it. Required for a secret in another account (the AWS managed key cannot be shared).',
    ours: true,
    example: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  },
  'portals[].providers[].*.clientAssertion': {
    description:
      'A federated credential instead of a secret: `KubernetesServiceAccountToken[=path]`, `AzureManagedIdentity[=client-id]`, `AzureWorkloadIdentity`, `tsiam=<endpoint>` or `AwsWebIdentity[:ES384|:RS256][=audience]` (see [federated-credentials.md](federated-credentials.md)). Cannot be combined with a secret.',
    example: 'KubernetesServiceAccountToken',
  },
  'portals[].providers[].*.scopes': {
    description: 'Space-separated scopes; must include `openid`.',
    default: 'Pocket ID: `openid profile email groups`; others: `openid profile email`',
    example: 'openid profile email groups',
  },
  'portals[].providers[].*.enablePKCE': {
    description: 'Send a PKCE S256 challenge (**on by default here**; upstream defaults to off).',
    default: 'true',
    example: 'true',
  },
  'portals[].providers[].*.logoutAtProvider': {
    description:
      'Sign the user out at the provider too: `POST P/logout` answers 303 to the provider\'s `end_session_endpoint` (OpenID Connect RP-Initiated Logout) with `id_token_hint`, `client_id` and `post_logout_redirect_uri` = `P/logged-out`, which you register at the provider (Pocket ID: *Logout Callback URLs*). Without it, the logged-out page offers a "Sign out of <provider> too" button when the provider has an end-session endpoint.',
    ours: true,
    default: 'false',
    example: 'true',
  },
  'portals[].providers[].*.tlsInsecureSkipVerify': {
    description: 'Skip TLS verification of the provider (logs a warning at start). Testing only.',
    default: 'false',
    example: 'false',
  },
  'portals[].providers[].*.tlsCACertificatePEM': {
    description:
      'CA certificate (PEM) trusted for the provider, **in addition to** the system roots (upstream replaces them). Exclusive with `tlsCACertificatePath`; invalid PEM is an error.',
    example: '"-----BEGIN CERTIFICATE-----\\n..."',
  },
  'portals[].providers[].*.tlsCACertificatePath': {
    description: 'File with that CA certificate (PEM), read at start.',
    example: '/etc/ssl/private-ca.pem',
  },
  'portals[].providers[].*.additionalClaims': {
    description: 'Extra ID-token/userinfo claims kept in the session, usable in `headers` and conditions.',
    ours: true,
    example: '[department, employee_id]',
  },

  'portals[].providers[].pocketID': {
    description:
      'Pocket ID. Fixed paths, no discovery: `/authorize`, `/api/oidc/token`, `/api/oidc/userinfo`, `/.well-known/jwks.json`; `client_id` is always sent to the token endpoint. Defaults: name `pocketid`, display name `Pocket ID`, icon `pocketid`, colour `zinc`.',
  },
  'portals[].providers[].pocketID.endpoint': {
    description:
      'Base URL of Pocket ID (the issuer); trailing slashes trimmed. `https://`, or `http://` for loopback hosts only.',
    default: 'required',
    example: 'https://id.example.com',
  },
  'portals[].providers[].openIDConnect': {
    description:
      'Any OpenID Connect provider, found by discovery. Defaults: name `openidconnect`, display name `OpenID Connect`, icon `openid`, colour `pink`.',
  },
  'portals[].providers[].openIDConnect.tokenIssuer': {
    description:
      'Issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`. `https://`, or `http://` for loopback hosts only.',
    default: 'required',
    example: 'https://sso.example.com/realms/main',
  },
  'portals[].providers[].google': {
    description:
      'Google. PKCE S256 and the nonce are always sent; no TLS options, no `clientAssertion`. Endpoints `accounts.google.com/o/oauth2/v2/auth`, `oauth2.googleapis.com/token`, JWKS `www.googleapis.com/oauth2/v3/certs`; issuer `https://accounts.google.com`. Keeps `hd` (the Workspace domain: `Eq("hd","example.com")`). Defaults: name `google`, display name `Google`, icon `google`, colour `yellow`.',
  },
  'portals[].providers[].microsoftEntraID': {
    description:
      'Microsoft Entra ID. PKCE S256 is always sent; no TLS options. Endpoints under `login.microsoftonline.com/<tenantID>/oauth2/v2.0/`. User ID = `oid` (else `sub`); keeps `tid` and `wids`. The ID token’s issuer must be `https://login.microsoftonline.com/<tid>/v2.0` for its own `tid`. The assertion audience is `api://AzureADTokenExchange`. Defaults: name `microsoftentraid`, display name `Microsoft Entra ID`, icon `microsoft`, colour `cyan`.',
  },
  'portals[].providers[].microsoftEntraID.tenantID': {
    description:
      'The directory ID (a GUID), or `common`, `organizations` or `consumers`. A domain name is an error (ID tokens name the tenant by GUID). With `common`/`organizations` any tenant’s users can sign in: restrict them with a condition such as `Eq("tid","<guid>")`.',
    default: 'required',
    example: '00000000-0000-0000-0000-000000000000',
  },
  'portals[].providers[].microsoftEntraID.azureFederatedIdentity': {
    description:
      '`ManagedIdentity[=<client-id>]` or `WorkloadIdentity`; becomes `clientAssertion: Azure…` with a warning.',
    deprecated: true,
    example: 'WorkloadIdentity',
  },
  'portals[].providers[].github': {
    description:
      'GitHub: plain OAuth 2.0 with scope `user` (not configurable), no ID token and no nonce; PKCE is always sent. The profile comes from GraphQL `viewer`: ID = login, full name = name or login, picture = avatar, `github_userid` = node ID. All four secret keys work and a custom `name` works (upstream ignores `clientSecretFile` and breaks sessions with a custom name). Defaults: name `github`, display name `GitHub`, icon `github`, colour `emerald`.',
  },
  'portals[].providers[].tailscaleWhois': {
    description:
      'Tailscale (standalone server only; on AWS a config error): no sign-in step. A check without a session asks the local tailscaled’s LocalAPI `whois` about the leftmost `X-Forwarded-For` address and answers 200 with that identity (conditions apply), 401 `Not authenticated` for an address it does not know, 403 for a device of another tailnet than `allowedTailnet`, 502 when tailscaled cannot be reached; in a portal with other providers those cases go on to their sign-in instead. Nothing is stored; answers are cached for `sessions.verifyCacheTTL`. Profile as upstream: ID = the login name’s local part (a tagged device: its host name), name = display name, email = login name (unverified), picture; claims `hostname`, `tailnet`, `ip`, `taggedDevice`, `https://<capability>`. Defaults: name `tailscalewhois`, display name `Tailscale Whois`, icon `tailscale`, colour `slate`.',
  },
  'portals[].providers[].tailscaleWhois.allowedTailnet': {
    description:
      'Only devices of this tailnet are let in (others: 403); a device shared in from another tailnet has none and is refused.',
    example: 'example.ts.net',
  },
  'portals[].providers[].tailscaleWhois.capabilityNames': {
    description:
      'ACL grant capabilities copied into the profile as `https://<name>` claims (the raw values, for headers and conditions). Each is `host/path`; an `https://` prefix is dropped, any other scheme is an error.',
    default: '`[italypaleale.me/traefik-forward-auth]`',
    example: '[example.com/cap/dashboard]',
  },
  'portals[].providers[].tailscaleWhois.socketPath': {
    description: 'Unix socket of tailscaled’s LocalAPI (mount it into the container).',
    ours: true,
    default: '/var/run/tailscale/tailscaled.sock',
    example: '/var/run/tailscale/tailscaled.sock',
  },

  dev: { description: 'Development switches.' },
  'dev.disableClientCache': {
    description: 'Serve static assets with `Cache-Control: no-cache`.',
    default: 'false',
    example: 'false',
  },
};

/** The active (uncommented) part of the generated `tfa-config.example.yaml`; everything else is commented out. */
export const EXAMPLE_CONFIG = {
  server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
  portals: [
    {
      name: 'main',
      displayName: 'Example',
      providers: [
        {
          pocketID: {
            endpoint: 'https://id.example.com',
            clientID: '2f1c0e4b-9a7d-4c43-8f7e-0d6b2a9c1e55',
            clientSecretFile: '/run/secrets/pocket-id',
          },
        },
      ],
    },
  ],
};
