/**
 * The standalone server's Prometheus metrics (`metrics.enabled`), scraped after real requests through the real server,
 * the dev OpenID provider and the embedded store: decisions of the check (fast path and core), logins by provider and
 * result, verify-cache lookups and hit ratio, store latency by operation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAwsConfig } from '../../infra/aws-config.js';
import { ConfigError } from '../../shared/config/errors.js';
import { validateConfig } from '../../shared/config/load.js';
import { catchError } from '../helpers/catch-error.js';
import { basicConfig, type Stack, startStack } from '../helpers/stack.js';
import { writeConfig } from '../infra/helpers.js';

const APP = 'https://app.example.com/dashboard';

/** The samples of a scrape: `name{labels}` → value, for the series named `prefix…`. */
async function scrape(url: string, prefix = 'tfa_'): Promise<Map<string, number>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n'))
    if (line.startsWith(prefix)) {
      const i = line.lastIndexOf(' ');
      samples.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
  return samples;
}

describe('Prometheus /metrics on a listener of its own', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: (issuer) => ({ ...basicConfig(issuer), metrics: { enabled: true, port: 9464 } }),
      metricsPort: 0,
    });
  });
  afterAll(() => stack?.close());

  it('counts decisions, logins, cache lookups and store requests exactly, after real requests', async () => {
    // Prepare: the metrics listener starts at zero for our series.
    const url = stack.server.metricsUrl ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const b = stack.browser();

    // Act: sign in (check 303 → … → callback 307 → check 200, a store read), check again (cache hit, fast path),
    // fail a condition (403, the core's path, cache hit), replay nothing but a forged callback (401).
    const hops = await b.login(APP);
    const again = await b.navigate(APP);
    const denied = await stack
      .browser({ forwardAuthPath: `/portals/main?if=${encodeURIComponent('Group("no-such-group")')}` })
      .request(APP, {});
    const cookie = await b.jar.getCookieString(APP);
    const deniedWithSession = await fetch(
      `${stack.server.url}/portals/main?if=${encodeURIComponent('Group("no-such-group")')}`,
      {
        headers: { Cookie: cookie, 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Proto': 'https' },
      },
    );
    const forged = await fetch(`${stack.server.url}/portals/main/oauth2/callback?state=forged&code=x`, {
      headers: { 'X-Forwarded-Host': 'auth.example.com', 'X-Forwarded-Proto': 'https' },
    });
    const samples = await scrape(url);

    // Assess
    expect([hops[0]?.status, hops.at(-1)?.status, again[0]?.status]).toEqual([303, 200, 200]);
    expect([denied.status, deniedWithSession.status, forged.status]).toEqual([303, 403, 401]);
    expect(
      [...samples].filter(([k]) => k.startsWith('tfa_forward_auth_decisions_total') || k.startsWith('tfa_logins')),
    ).toEqual([
      ['tfa_forward_auth_decisions_total{outcome="sign_in"}', 2],
      ['tfa_forward_auth_decisions_total{outcome="allowed"}', 2],
      ['tfa_forward_auth_decisions_total{outcome="denied"}', 1],
      ['tfa_logins_total{portal="main",provider="pocketid",result="success"}', 1],
      ['tfa_logins_total{portal="main",provider="unknown",result="state_rejected"}', 1],
    ]);
    // Three lookups of the one session: the first after login reads the store, the next two are cache hits.
    expect(samples.get('tfa_verify_cache_lookups_total{result="miss"}')).toBe(1);
    expect(samples.get('tfa_verify_cache_lookups_total{result="hit"}')).toBe(2);
    expect(samples.get('tfa_verify_cache_hit_ratio')).toBeCloseTo(2 / 3, 10);
    // The store: that one read, the login state written and consumed, the session written.
    expect(samples.get('tfa_store_request_duration_seconds_count{operation="GetItem",result="ok"}')).toBe(1);
    expect(samples.get('tfa_store_request_duration_seconds_count{operation="PutItem",result="ok"}')).toBe(2);
    expect(samples.get('tfa_store_request_duration_seconds_count{operation="DeleteItem",result="ok"}')).toBe(1);
    expect(samples.get('tfa_store_request_duration_seconds_bucket{le="+Inf",operation="GetItem",result="ok"}')).toBe(1);
  });

  it("serves only /metrics there, and nothing at the auth server's own /metrics", async () => {
    const other = await fetch((stack.server.metricsUrl ?? '').replace('/metrics', '/healthz'));
    const main = await fetch(`${stack.server.url}/metrics`);
    expect([other.status, await other.text()]).toEqual([404, '404 page not found']);
    expect(main.status).toBe(404);
  });

  it('answers POST with 405', async () => {
    const res = await fetch(stack.server.metricsUrl ?? '', { method: 'POST' });
    expect([res.status, res.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });
});

describe('Prometheus /metrics on the server listener, and off', () => {
  let on: Stack;
  let off: Stack;
  beforeAll(async () => {
    on = await startStack({ config: (issuer) => ({ ...basicConfig(issuer), metrics: { enabled: true } }) });
    off = await startStack({ config: (issuer) => basicConfig(issuer) });
  });
  afterAll(async () => {
    await on?.close();
    await off?.close();
  });

  it('serves /metrics on the server listener without metrics.port, with the Node process metrics', async () => {
    expect(on.server.metricsUrl).toBe(`${on.server.url}/metrics`);
    await fetch(`${on.server.url}/portals/main`, { headers: { 'X-Forwarded-Host': 'app.example.com' } });
    const samples = await scrape(on.server.metricsUrl ?? '', '');
    expect(samples.get('tfa_forward_auth_decisions_total{outcome="sign_in"}')).toBe(1);
    expect(samples.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(samples.get('tfa_verify_cache_hit_ratio')).toBe(0);
  });

  it('serves no /metrics unless metrics.enabled', async () => {
    const res = await fetch(`${off.server.url}/metrics`);
    expect([res.status, off.server.metricsUrl]).toEqual([404, undefined]);
  });
});

describe('metrics config', () => {
  const base = {
    portals: [
      {
        name: 'main',
        providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
      },
    ],
  };

  it('serves on the server listener by default, or on metrics.bind (127.0.0.1) : metrics.port', () => {
    expect(validateConfig(base).config.metrics).toEqual({ enabled: false });
    expect(validateConfig({ ...base, metrics: { enabled: true, port: 9464 } }).config.metrics).toEqual({
      enabled: true,
      listen: { bind: '127.0.0.1', port: 9464 },
    });
  });

  it('names the key of each mistake', () => {
    const issues = (metrics: object) =>
      catchError(() => validateConfig({ ...base, metrics }), ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    expect(issues({ port: 70000 })).toEqual(['metrics.port: must be between 1 and 65535 (got 70000)']);
    expect(issues({ bind: '0.0.0.0' })).toEqual([
      "metrics.bind: needs 'metrics.port': without it, /metrics is served on the server's own listener",
    ]);
    expect(issues({ bind: '0.0.0.0', port: 4181 })).toEqual([
      "metrics.port: is the server's own port: leave it out to serve /metrics there (got 4181)",
    ]);
  });

  it('is ignored on AWS, with a warning (the functions write CloudWatch metrics)', () => {
    const file = writeConfig({
      portals: [{ name: 'main', providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c' } }] }],
      metrics: { enabled: true },
    });
    const { notices } = loadAwsConfig(file);
    expect(notices).toContainEqual({
      level: 'warn',
      message: 'metrics is ignored on AWS: the functions write CloudWatch metrics (docs/aws.md, "Metrics and logs")',
    });
  });
});
