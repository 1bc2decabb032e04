/**
 * The `tailscaleWhois` provider on the standalone server, against a loopback fake of tailscaled's LocalAPI on a unix
 * socket: the check itself answers 200 with the identity tailscaled gives for the leftmost X-Forwarded-For address,
 * 401 for an address it does not know, 403 for another tailnet, 502 when tailscaled is down; a portal with other
 * providers falls back to their sign-in instead.
 */
import { request } from 'node:http';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Standalone, startStandalone } from '../../bin/standalone.js';
import { validateConfig } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log.js';
import { FakeTailscaled, userDevice } from '../helpers/fakes/tailscaled.js';

const CAP = 'example.com/cap/app';
const ALICE = '100.64.0.1';
const BOB_V6 = 'fd7a:115c:a1e0::2';
const TAGGED = '100.64.0.3';
const SHARED = '100.64.0.4';
const FWD = { 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Uri': '/page' };
/** What a browser's top-level navigation sends. */
const NAVIGATION = { Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' };

let tailscaled: FakeTailscaled;
let server: Standalone;
const lines: string[] = [];

beforeAll(async () => {
  tailscaled = new FakeTailscaled();
  await tailscaled.start();
  tailscaled.devices.set(
    ALICE,
    userDevice({
      ip: ALICE,
      host: 'alice-laptop',
      tailnet: 'corp.ts.net',
      login: 'alice@example.com',
      name: 'Alice Example',
      picture: 'https://example.com/alice.png',
      caps: { [CAP]: ['admin'], 'example.com/cap/other': ['x'] },
    }),
  );
  tailscaled.devices.set(
    BOB_V6,
    userDevice({ ip: BOB_V6, host: 'bob-pc', tailnet: 'other.ts.net', login: 'bob@example.org', name: 'Bob' }),
  );
  tailscaled.devices.set(TAGGED, {
    ...userDevice({ ip: TAGGED, host: 'ci-runner', tailnet: 'corp.ts.net', login: 'tagged-devices', name: 'Tagged' }),
  });
  const tagged = tailscaled.devices.get(TAGGED);
  if (tagged) tagged.Node.Tags = ['tag:ci'];
  tailscaled.devices.set(
    SHARED,
    userDevice({
      ip: SHARED,
      host: 'guest',
      tailnet: 'guest.ts.net',
      login: 'eve@example.net',
      name: 'Eve',
      sharee: true,
    }),
  );

  const ts = { socketPath: tailscaled.socketPath, capabilityNames: [CAP] };
  const { config } = validateConfig({
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    portals: [
      { name: 'ts', providers: [{ tailscaleWhois: ts }] },
      { name: 'corp', providers: [{ tailscaleWhois: { ...ts, allowedTailnet: 'corp.ts.net' } }] },
      { name: 'signed', identityAssertion: { enabled: true }, providers: [{ tailscaleWhois: ts }] },
      {
        name: 'mixed',
        providers: [
          { pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecret: 'y' } },
          { tailscaleWhois: ts },
        ],
      },
    ],
  });
  const log = createLogger({ level: 'debug', json: true, write: (l) => lines.push(l) });
  server = await startStandalone({ config, port: 0, bind: '127.0.0.1', log });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await tailscaled?.close();
});

beforeEach(() => {
  tailscaled.requests.length = 0;
});

/**
 * One forward-auth check, as a web Response. node:http rather than fetch, which always sends `Sec-Fetch-Mode: cors`
 * and so can never play a browser's navigation.
 */
function check(portal: string, headers: Record<string, string>, query = ''): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/portals/${portal}${query}`, { headers: { ...FWD, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => {
        const h = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) h.append(name, v);
        resolve(new Response(body, { status: res.statusCode ?? 0, headers: h }));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a portal whose only provider is tailscaleWhois', () => {
  it('answers 200 with the identity of the leftmost X-Forwarded-For address, asked of the LocalAPI', async () => {
    // Act
    const res = await check('ts', { 'X-Forwarded-For': `${ALICE}, 10.0.0.9` });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('x-forwarded-user')).toBe('alice');
    expect(res.headers.get('x-forwarded-displayname')).toBe('Alice Example');
    expect(JSON.parse(res.headers.get('x-authenticated-user') ?? '')).toEqual({
      provider: 'tailscalewhois',
      portal: 'ts',
      user: 'alice',
    });
    expect(await res.text()).toBe("You are authenticated with provider 'Tailscale Whois' as 'Alice Example' ('alice')");
    expect(tailscaled.requests).toEqual([
      {
        target: `/localapi/v0/whois?addr=${ALICE}`,
        headers: expect.objectContaining({ host: 'local-tailscaled.sock' }),
      },
    ]);
  });

  it('asks tailscaled once per address while the answer is cached (sessions.verifyCacheTTL)', async () => {
    // Act
    const first = await check('ts', { 'X-Forwarded-For': ALICE });
    const second = await check('ts', { 'X-Forwarded-For': ALICE });

    // Assess
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(tailscaled.requests).toHaveLength(0);
  });

  it('looks up an IPv6 address, encoded in the query', async () => {
    // Act
    const res = await check('ts', { 'X-Forwarded-For': BOB_V6 });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('x-forwarded-user')).toBe('bob');
    expect(tailscaled.requests.map((r) => r.target)).toEqual([`/localapi/v0/whois?addr=${encodeURIComponent(BOB_V6)}`]);
  });

  it('names a tagged device by its host name', async () => {
    // Act
    const res = await check('ts', { 'X-Forwarded-For': TAGGED });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('x-forwarded-user')).toBe('ci-runner.corp.ts.net');
  });

  it('applies conditions to the whois claims: the capability, the tailnet, the email', async () => {
    // Prepare
    const ifQuery = (c: string) => `?if=${encodeURIComponent(c)}`;

    // Act
    const admin = await check('ts', { 'X-Forwarded-For': ALICE }, ifQuery(`Cont("https://${CAP}","admin")`));
    const tailnet = await check('ts', { 'X-Forwarded-For': ALICE }, ifQuery('Eq("tailnet","corp.ts.net")'));
    const email = await check('ts', { 'X-Forwarded-For': ALICE }, ifQuery('Eq("email","alice@example.com")'));
    const notAdmin = await check('ts', { 'X-Forwarded-For': BOB_V6 }, ifQuery(`Cont("https://${CAP}","admin")`));
    const uncopied = await check(
      'ts',
      { 'X-Forwarded-For': ALICE },
      ifQuery('Cont("https://example.com/cap/other","x")'),
    );

    // Assess
    expect([admin.status, tailnet.status, email.status]).toEqual([200, 200, 200]);
    expect(notAdmin.status).toBe(403);
    expect(await notAdmin.text()).toBe('Error: Access denied per authorization rules');
    expect(uncopied.status).toBe(403);
  });

  it.each([
    ['an address tailscaled does not know', { 'X-Forwarded-For': '100.64.0.99' }],
    ['no X-Forwarded-For', {}],
    ['a browser navigation from an unknown address', { 'X-Forwarded-For': '100.64.0.98', ...NAVIGATION }],
  ])('answers 401 Not authenticated for %s, with no sign-in redirect', async (_, headers: Record<string, string>) => {
    // Act
    const res = await check('ts', headers);

    // Assess
    expect(res.status).toBe(401);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toBe('Error: Not authenticated');
  });
});

describe('the identity assertion', () => {
  it('is signed for a whois identity, verifiable with the portal’s JWKS', async () => {
    // Act
    const res = await check('signed', { 'X-Forwarded-For': ALICE });
    const keys = await fetch(`${server.url}/portals/signed/.well-known/jwks.json`, { headers: FWD });
    const jwks = createLocalJWKSet((await keys.json()) as JSONWebKeySet);
    const { payload } = await jwtVerify(res.headers.get('x-forward-auth-assertion') ?? '', jwks, {
      audience: 'https://app.example.com',
    });

    // Assess
    expect(res.status).toBe(200);
    expect(payload).toMatchObject({ sub: 'alice', provider: 'tailscalewhois', email: 'alice@example.com' });
  });
});

describe('the sign-in page of a Tailscale-only portal', () => {
  it('is a 404 that says where to come from', async () => {
    // Act
    const res = await fetch(`${server.url}/portals/ts/signin`, { headers: { ...FWD, Accept: 'application/json' } });

    // Assess
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('Error: This portal has no sign-in page: open the app from a device on the tailnet');
  });
});

describe('allowedTailnet', () => {
  it('lets a device of that tailnet in', async () => {
    // Act
    const res = await check('corp', { 'X-Forwarded-For': ALICE });

    // Assess
    expect(res.status).toBe(200);
  });

  it.each([
    ['another tailnet', BOB_V6],
    ['a device shared in from another tailnet (no tailnet name)', SHARED],
  ])('answers 403 to a device of %s', async (_, ip) => {
    // Act
    const res = await check('corp', { 'X-Forwarded-For': ip });

    // Assess
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("Error: Access denied: this device's tailnet is not allowed");
  });
});

describe('a portal with tailscaleWhois and another provider', () => {
  it('answers a known device with its identity', async () => {
    // Act
    const res = await check('mixed', { 'X-Forwarded-For': ALICE });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('x-forwarded-user')).toBe('alice');
  });

  it('sends an unknown address to the other provider’s sign-in', async () => {
    // Act
    const res = await check('mixed', { 'X-Forwarded-For': '100.64.0.97', ...NAVIGATION });

    // Assess
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^https:\/\/auth\.example\.com\/portals\/mixed\/signin\?/);
  });
});

describe('tailscaled down', () => {
  beforeAll(async () => {
    await tailscaled.stop();
  });

  it('answers 502 where tailscaleWhois is the only provider, and logs the socket it tried', async () => {
    // Act
    const res = await check('ts', { 'X-Forwarded-For': '100.64.0.50' });

    // Assess
    expect(res.status).toBe(502);
    expect(await res.text()).toBe('Error: The identity provider could not be reached');
    const failed = lines.map((l) => JSON.parse(l)).find((l) => l.status === 502);
    expect(failed?.detail).toMatch(new RegExp(`^tailscaled LocalAPI at ${tailscaled.socketPath}: ENOENT$`));
  });

  it('falls back to the other provider’s sign-in in a mixed portal, with a warning', async () => {
    // Act
    const res = await check('mixed', { 'X-Forwarded-For': '100.64.0.51', ...NAVIGATION });

    // Assess
    expect(res.status).toBe(303);
    expect(lines.some((l) => l.includes('tailscaled could not be reached; offering the other providers'))).toBe(true);
  });
});
