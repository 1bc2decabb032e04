/**
 * Property-based fuzzing (fast-check) of every route, the config loader and the conditions parser (issue 12 §6).
 * The routes run in process (`app.request`) on the standalone server's app with an in-memory store and a provider
 * network that fails at once, with random methods, paths, queries, forwarded headers, cookies (real session tokens
 * among them) and bodies. For every answer: no crash, no 5xx but the documented 502/503, every Location absolute and
 * on the configured domain, every Set-Cookie HttpOnly (and Secure unless `cookies.insecure`), and nosniff.
 *
 * Case counts (52,000 in all, a fixed seed per run printed on failure): 2 × 20,000 requests, 6,000 configs, 6,000
 * conditions. FUZZ_SCALE=<n> multiplies them for a longer local run; FUZZ_REPORT=1 prints how often each status was
 * answered (every kind must be among them, or the generators have drifted away from the routes).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { standaloneApp } from '../../bin/standalone.js';
import type { App } from '../../shared/app/base.js';
import { ConditionError, compileCondition } from '../../shared/conditions/conditions.js';
import { ConfigError } from '../../shared/config/errors.js';
import { parseConfig, validateConfig } from '../../shared/config/load.js';
import type { Config } from '../../shared/config/types.js';
import { createLogger } from '../../shared/log.js';
import { providerDeps } from '../../shared/providers/deps.js';
import { buildProviderRegistry } from '../../shared/providers/registry.js';
import { SecretResolver } from '../../shared/secrets/resolver.js';
import { CachedSessionStore } from '../../shared/sessions/cache.js';
import { MemoryStore } from '../helpers/memory-store.js';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.round(n * SCALE);
const log = createLogger({ level: 'error', json: true, write: () => {} });
const POCKET = { endpoint: 'https://id.example.com', clientID: 'fuzz', clientSecret: 'fuzz-secret' };

/** The statuses a failing dependency may give (docs/security.md); any other 5xx is a defect. */
const DOCUMENTED_5XX = new Map([
  [502, 'The identity provider could not be reached'],
  [503, 'Service temporarily unavailable'],
]);

interface Target {
  app: App;
  config: Config;
  tokens: string[];
  /** How often each status was answered: the fuzzing must reach every kind of answer, not only 404s. */
  statuses: Map<number, number>;
  /** Whether a Location's host is one this deployment may send a browser to. */
  onDomain: (host: string, forwardedHost: string | undefined) => boolean;
}

/** Every route of the standalone server, in process; the provider network fails at once (no socket is opened). */
async function target(raw: unknown, onDomain: Target['onDomain']): Promise<Target> {
  const { config } = validateConfig(raw);
  const store = new MemoryStore();
  const sessions = new CachedSessionStore(store, { ttl: 10_000, max: 100 });
  const offline = (async () => {
    throw new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
  }) as typeof fetch;
  const providers = buildProviderRegistry(config, providerDeps({}, new SecretResolver({ env: {} }), offline));
  const deps = { config, log, now: Date.now };
  const app = await standaloneApp(deps, { sessions, store, providers });
  const now = Date.now();
  const tokens: string[] = [];
  for (const [portal, id, groups] of [
    ['main', 'alice', ['admins']],
    ['main', 'bob', []],
    ['api', 'carol', ['ops']],
  ] as const)
    tokens.push(
      await store.create({
        portal,
        provider: 'pocketid',
        profile: {
          id,
          name: { full: `${id} Ünïcode` },
          groups: [...groups],
          email: { address: `${id}@example.com`, verified: true },
        },
        createdAt: now,
        expiresAt: now + 3_600_000,
      }),
    );
  return { app, config, tokens, statuses: new Map(), onDomain };
}

/** Header values a proxy or browser can send: printable Latin-1 (what Node and undici accept), tabs included. */
const headerText = (maxLength = 80) =>
  fc.string({
    unit: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
      { weight: 1, arbitrary: fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)) },
      { weight: 1, arbitrary: fc.constantFrom('\t', '%', '/', '?', '#', '&', '=', ';', ',', '"', '..', '%2F', '%00') },
    ),
    maxLength,
  });
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

const hosts = fc.oneof(
  // Mostly ours, so that the routes get past the host check and do their work.
  {
    weight: 6,
    arbitrary: fc.constantFrom('app.example.com', 'auth.example.com', 'example.com', 'app.example.com:8443'),
  },
  fc.constantFrom(
    'App.Example.COM.',
    'evil.test',
    'example.com.evil.test',
    'notexample.com',
    '127.0.0.1',
    '[::1]:443',
    '2130706433',
    '0x7f.1',
    'app.example.com@evil.test',
    '',
  ),
  fc.domain(),
  headerText(40),
);
const returnUrls = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    'https://app.example.com/dashboard?x=1',
    'https://evil.test/',
    'javascript:alert(1)',
    '//evil.test/x',
    'https://app.example.com@evil.test/',
    'https://127.0.0.1/',
    `https://app.example.com/${'a'.repeat(5000)}`,
  ),
  headerText(60),
);
const queryValue = fc.oneof(
  headerText(40),
  returnUrls.map(b64url),
  fc.constantFrom('1', 'true', 'yes', '0', '', 'Group("admins")', 'Eq("email","alice@example.com")', '((('),
  fc.string({ minLength: 11, maxLength: 40 }).map(b64url),
);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'return',
        'state',
        'code',
        'error',
        'if',
        'html',
        'logout',
        'everywhere',
        'provider',
        'sessions',
        'idp',
        'session',
        'x',
      ),
      queryValue,
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${new URLSearchParams(pairs).toString()}` : ''));

/** Paths of every route (both portal spellings, the default portal's short ones, the API), and some that are not. */
const paths = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .constantFrom(
        '',
        '/',
        '/signin',
        '/providers/pocketid',
        '/providers/nope',
        '/logout',
        '/logged-out',
        '/profile',
        '/profile.json',
        '/authenticated',
        '/sessions/end',
        '/oauth2/callback',
        '/oauth2/backchannel-logout',
        '/.well-known/jwks.json',
        '/static/nope.css',
        '/favicon.ico',
      )
      .chain((suffix) =>
        fc.oneof(
          { weight: 5, arbitrary: fc.constant(`/portals/main${suffix}`) },
          { weight: 2, arbitrary: fc.constant(`/portals/api${suffix}`) },
          // The default portal's short routes.
          { weight: 2, arbitrary: fc.constant(suffix || '/') },
          fc.constantFrom(`/portals/Main${suffix}`, `/portals/none${suffix}`),
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '/healthz',
      '/api/portals/main/verify',
      '/api/portals/api/verify',
      '/api/portals/x/verify',
    ),
  },
  { weight: 1, arbitrary: fc.webPath() },
);

const cookieHeader = (tokens: string[]) =>
  fc
    .array(
      fc.oneof(
        fc.constantFrom(...tokens).map((t) => `tf_sess_main=${t}`),
        fc.constantFrom(...tokens).map((t) => `tf_sess_api=${t}`),
        headerText(50).map((v) => `tf_sess_main=${v}`),
        fc
          .tuple(fc.string({ minLength: 1, maxLength: 12 }), headerText(60))
          .map(([id, v]) => `tf_state_main_${id}=${v}`),
        fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), headerText(20)).map(([k, v]) => `${k}=${v}`),
      ),
      { maxLength: 5 },
    )
    .map((parts) => parts.join('; '))
    .filter((c) => !/[\r\n\0]/.test(c));

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

const request = (tokens: string[]) =>
  fc.record({
    method: fc.oneof(
      { weight: 12, arbitrary: fc.constant('GET') },
      { weight: 4, arbitrary: fc.constant('POST') },
      fc.constantFrom('HEAD', 'PUT', 'DELETE', 'OPTIONS'),
    ),
    path: paths,
    query,
    headers: fc.record(
      {
        'X-Forwarded-Host': fc.option(hosts, { nil: undefined, freq: 8 }),
        'X-Forwarded-Proto': optional(
          fc.oneof(fc.constantFrom('https', 'http', 'HTTPS', 'gopher', 'https,http'), headerText(10)),
        ),
        'X-Forwarded-Uri': optional(fc.oneof(fc.webPath(), headerText(120), fc.constant(`/${'x'.repeat(9000)}`))),
        'X-Forwarded-Method': optional(fc.constantFrom('GET', 'POST', 'DELETE', 'BREW')),
        'X-Forwarded-For': optional(fc.oneof(fc.ipV4(), fc.ipV6(), headerText(30))),
        'X-Forwarded-Port': optional(fc.oneof(fc.constantFrom('443', '80', '99999', '-1'), headerText(6))),
        Accept: optional(
          fc.constantFrom('text/html', 'application/json', '*/*', 'image/avif,*/*', 'text/html,application/json'),
        ),
        'Sec-Fetch-Mode': optional(fc.constantFrom('navigate', 'cors', 'no-cors', 'websocket')),
        'Sec-Fetch-Dest': optional(fc.constantFrom('document', 'empty', 'image', 'iframe')),
        'Sec-Fetch-Site': optional(fc.constantFrom('none', 'same-origin', 'same-site', 'cross-site')),
        Origin: optional(
          fc.constantFrom('https://auth.example.com', 'https://app.example.com', 'null', 'https://evil.test'),
        ),
        'X-Requested-With': optional(fc.constant('XMLHttpRequest')),
        'X-Forward-Auth-If': optional(
          fc.oneof(fc.constantFrom('Group("admins")', 'EmailVerified()', 'Eq("a"'), headerText(40)),
        ),
        Authorization: optional(
          fc.oneof(
            fc.constantFrom(...tokens).map((t) => `Bearer ${t}`),
            headerText(40),
          ),
        ),
        'Content-Type': optional(
          fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain'),
        ),
        Cookie: fc.option(cookieHeader(tokens), { nil: undefined, freq: 4 }),
      },
      { requiredKeys: [] },
    ),
    body: optional(
      fc.oneof(
        headerText(200),
        fc.constantFrom('session=abcdefabcdef', 'logout_token=eyJhbGciOiJub25lIn0.e30.', 'everywhere=1'),
      ),
    ),
  });

type FuzzRequest = ReturnType<typeof request> extends fc.Arbitrary<infer R> ? R : never;

/** Sends one fuzzed request; asserts every invariant on the answer. */
async function check(t: Target, r: FuzzRequest): Promise<void> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers.set(k, v);
  const withBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
  const res = await t.app.request(`http://tfa.internal:4181${r.path}${r.query}`, {
    method: r.method,
    headers,
    ...(withBody ? { body: r.body } : {}),
  });
  const body = await res.text();
  t.statuses.set(res.status, (t.statuses.get(res.status) ?? 0) + 1);
  const what = `${r.method} ${r.path}${r.query} → ${res.status} ${body.slice(0, 200)}`;

  if (res.status >= 500) {
    expect(DOCUMENTED_5XX.has(res.status), what).toBe(true);
    expect(body, what).toContain(DOCUMENTED_5XX.get(res.status));
  }
  const location = res.headers.get('location');
  if (location !== null) {
    expect(location, what).toMatch(/^https?:\/\//);
    const url = new URL(location);
    expect(t.onDomain(url.hostname, r.headers['X-Forwarded-Host']), `${what}: Location ${location}`).toBe(true);
  }
  for (const cookie of res.headers.getSetCookie()) {
    expect(cookie, what).toMatch(/; HttpOnly(;|$)/);
    if (!t.config.cookies.insecure) expect(cookie, what).toMatch(/; Secure(;|$)/);
  }
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
}

describe('fuzzing every route in process', () => {
  let dedicated: Target;
  let subPath: Target;
  beforeAll(async () => {
    dedicated = await target(
      {
        server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
        defaultPortal: 'main',
        portals: [
          { name: 'main', providers: [{ pocketID: POCKET }] },
          {
            name: 'api',
            always401: true,
            providers: [{ pocketID: POCKET }, { github: { clientID: 'g', clientSecret: 's' } }],
          },
        ],
      },
      // Our own hosts, the apps' and the provider's: all under example.com.
      (host) => host === 'example.com' || host.endsWith('.example.com'),
    );
    subPath = await target(
      {
        server: { basePath: '/auth' },
        cookies: { insecure: true },
        defaultPortal: 'main',
        portals: [
          { name: 'main', providers: [{ pocketID: POCKET }] },
          { name: 'api', always401: true, providers: [{ pocketID: POCKET }] },
        ],
      },
      // Sub-path mode serves any host as-is (upstream): redirects stay on an absolute http(s) URL, checked above.
      () => true,
    );
  });

  it('with server.domains (dedicated auth host): 20,000 requests keep every invariant', async () => {
    await fc.assert(
      fc.asyncProperty(request(dedicated.tokens), (r) => check(dedicated, r)),
      { numRuns: runs(20_000) },
    );
    expectEveryKindOfAnswer(dedicated);
  });

  it('in sub-path mode with cookies.insecure and a basePath: 20,000 requests keep every invariant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(request(subPath.tokens), fc.integer({ min: 0, max: 9 }))
          .map(([r, n]) => ({ ...r, path: n < 7 ? `/auth${r.path}` : r.path })),
        (r) => check(subPath, r),
      ),
      { numRuns: runs(20_000) },
    );
    expectEveryKindOfAnswer(subPath);
  });
});

/** Signed-in checks, redirects, 401s, refusals, bad requests and unknown paths were all among the answers. */
function expectEveryKindOfAnswer(t: Target): void {
  const seen = [...t.statuses.keys()].sort();
  if (process.env.FUZZ_REPORT) console.log(JSON.stringify([...t.statuses].sort((a, b) => a[0] - b[0])));
  for (const status of [200, 204, 303, 400, 401, 403, 404])
    expect(seen, JSON.stringify([...t.statuses])).toContain(status);
}

/** Raw configs shaped like real ones: known keys with random values, unknown keys, wrong types. */
const KEYS = {
  server: [
    'domains',
    'port',
    'bind',
    'basePath',
    'tlsPath',
    'trustedRequestIdHeader',
    'favicon',
    'hostname',
    'tlsClientAuth',
  ],
  cookies: ['namePrefix', 'insecure', 'domain'],
  sessions: ['verifyCacheTTL', 'tableName', 'dynamoDBEndpoint', 'embeddedPath', 'region'],
  logs: ['level', 'json', 'omitHealthChecks'],
  portal: [
    'name',
    'displayName',
    'providers',
    'always401',
    'sessionLifetime',
    'authenticationTimeout',
    'headers',
    'backgrounds',
    'stripAuthCookies',
  ],
  provider: [
    'endpoint',
    'clientID',
    'clientSecret',
    'clientSecretEnv',
    'clientAssertion',
    'requestTimeout',
    'scopes',
    'tenantID',
    'tokenIssuer',
    'enablePKCE',
    'icon',
    'color',
  ],
} as const;
const scalar = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    '',
    '10s',
    '1h',
    '-1s',
    '0',
    'example.com',
    '192.0.2.1',
    'https://id.example.com',
    'KubernetesServiceAccountToken',
    'AwsWebIdentity:RS999',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const section = (keys: readonly string[], extra: fc.Arbitrary<Record<string, unknown>> = fc.constant({})) =>
  fc
    .tuple(
      fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 4 }),
      fc.oneof(
        { weight: 9, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 1 }) },
      ),
      extra,
    )
    .map(([known, unknown, more]) => ({ ...unknown, ...known, ...more }));
const provider = fc
  .tuple(
    fc.constantFrom('pocketID', 'openIDConnect', 'google', 'microsoftEntraID', 'github', 'tailscaleWhois', 'nope'),
    section(KEYS.provider),
  )
  .map(([kind, body]) => ({ [kind]: body }));
const portal = section(
  KEYS.portal,
  fc.record(
    {
      name: fc.oneof(fc.constantFrom('main', 'a', 'Ops-1'), fc.string({ maxLength: 12 })),
      providers: fc.array(provider, { maxLength: 3 }),
    },
    { requiredKeys: [] },
  ),
);
const rawConfig = fc.record(
  {
    server: section(
      KEYS.server,
      fc.record(
        {
          domains: fc.array(
            fc.record(
              { domain: fc.oneof(hosts, fc.domain()), authHost: optional(hosts), authPort: optional(fc.integer()) },
              { requiredKeys: [] },
            ),
            { maxLength: 3 },
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    cookies: section(KEYS.cookies),
    sessions: section(KEYS.sessions),
    logs: section(KEYS.logs),
    defaultPortal: fc.string({ maxLength: 8 }),
    portals: fc.array(portal, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

describe('fuzzing the config loader', () => {
  it('5,000 config objects: each loads or fails with a ConfigError naming keys, never another error', () => {
    fc.assert(
      fc.property(rawConfig, (raw) => {
        try {
          validateConfig(raw, 'fuzz', { env: {} });
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as ConfigError).issues.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: runs(5_000) },
    );
  });

  it('1,000 YAML texts (valid and mangled): each loads or fails with a ConfigError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          rawConfig.map((c) => JSON.stringify(c)),
          fc.string({ maxLength: 200 }),
          fc.constantFrom(
            'server: [',
            'portals:\n  - name: main\n    providers: *x',
            '&a [*a]',
            '!!binary x',
            '%YAML 9.9\n---\n',
          ),
        ),
        (text) => {
          try {
            parseConfig(text, 'fuzz.yaml', { env: {} });
          } catch (err) {
            expect(err).toBeInstanceOf(ConfigError);
          }
        },
      ),
      { numRuns: runs(1_000) },
    );
  });
});

describe('fuzzing the conditions parser', () => {
  const ident = fc.constantFrom(
    'Group',
    'Role',
    'Eq',
    'ClaimEqual',
    'Cont',
    'ClaimContains',
    'EmailVerified',
    'Nope',
    'group',
  );
  const atom = fc.oneof(
    fc
      .tuple(
        ident,
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
            fc.integer().map(String),
            fc.constantFrom('true', '`raw`', '"\\u00e9"', '1e400', '"'),
          ),
          { maxLength: 3 },
        ),
      )
      .map(([f, args]) => `${f}(${args.join(',')})`),
    fc.string({ maxLength: 10 }),
  );
  const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      atom,
      fc
        .tuple(tie('e'), fc.constantFrom(' && ', ' || ', '&&', '||', ' & ', ' ', ''), tie('e'))
        .map(([a, op, b]) => `${a}${op}${b}`),
      tie('e').map((a) => `!${a}`),
      tie('e').map((a) => `(${a})`),
    ),
  })).e;
  const subject = fc.record({
    provider: fc.constantFrom('pocketid', 'github'),
    profile: fc.record({
      id: fc.string({ minLength: 1, maxLength: 8 }),
      name: fc.record({ full: fc.string({ maxLength: 8 }) }),
      groups: optional(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 })),
      email: optional(fc.record({ address: fc.string({ maxLength: 12 }), verified: fc.boolean() })),
      claims: optional(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })),
    }),
  });

  it('6,000 conditions: each compiles or fails with a ConditionError, and a compiled one never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          { weight: 4, arbitrary: expr },
          { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
          { weight: 1, arbitrary: fc.constant(`${'('.repeat(100)}Group("a")${')'.repeat(100)}`) },
        ),
        subject,
        (source, s) => {
          let predicate: ((s: never) => boolean) | undefined;
          try {
            predicate = compileCondition(source) as (s: never) => boolean;
          } catch (err) {
            expect(err).toBeInstanceOf(ConditionError);
            return;
          }
          expect(typeof predicate(s as never)).toBe('boolean');
        },
      ),
      { numRuns: runs(6_000) },
    );
  });
});
