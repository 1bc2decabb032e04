import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Standalone } from '../../bin/standalone.js';
import { rawFetch } from '../helpers/raw-fetch.js';
import { startQuietServer } from '../helpers/stack.js';

/**
 * Issue 12 §1: state cookies can never lock a browser out. A model browser (one cookie jar for *.example.com, as the
 * state cookies all carry Domain=example.com) replays the patterns that used to grow the Cookie header past proxy
 * limits, against the real server, and the Cookie header it would send must stay under 4 KB at every step.
 */
const PORTALS = ['portal-one-with-a-long-name', 'portal-two-with-a-long-name', 'portal-3', 'portal-4', 'portal-5'];
const LIMIT = 4096;

let server: Standalone;

beforeAll(async () => {
  server = await startQuietServer({
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    portals: PORTALS.map((name) => ({
      name,
      providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
    })),
  });
});
afterAll(() => server.close());

/** The cookies of one browser for *.example.com, updated from Set-Cookie headers as a browser does. */
class Jar {
  readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
  apply(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/;\s*max-age=0(;|$)/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
  }
}

/** A 2 KB path (with a per-call counter, like a cache buster or a distinct tab). */
const longUri = (n: number) => `/${'a'.repeat(1900)}?tab=${n}&pad=${'b'.repeat(100)}`;

/** What a top-level navigation looks like in Chromium. */
const NAVIGATE = {
  Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Sec-Fetch-Mode': 'navigate',
  'Sec-Fetch-Dest': 'document',
  'Sec-Fetch-Site': 'none',
};

/** The forward-auth check a proxy makes for an app request, carrying the browser's headers and cookies. */
function check(jar: Jar, portal: string, uri: string, headers: Record<string, string>): Promise<Response> {
  return rawFetch(`${server.url}/portals/${portal}`, {
    headers: {
      ...headers,
      Cookie: jar.header(),
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'app.example.com',
      'X-Forwarded-Uri': uri,
    },
  });
}

/** Sends `batch` requests that all see the same jar (parallel tabs), then applies every answer. */
async function parallel(jar: Jar, batch: (() => Promise<Response>)[]): Promise<Response[]> {
  const answers = await Promise.all(batch.map((send) => send()));
  for (const res of answers) jar.apply(res);
  return answers;
}

describe('the state cookies of one browser', () => {
  it('stay under 4 KB of Cookie header when a logged-out SPA polls through nginx with cache-busters', async () => {
    // Prepare: the nginx recipe asks for the JSON answer (Accept: application/json); XHRs carry Sec-Fetch-Mode: cors
    const jar = new Jar();
    const polls = { Accept: 'application/json', 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Dest': 'empty' };
    let largest = 0;

    // Act
    for (let round = 0; round < 10; round++) {
      const batch = PORTALS.map((p, i) => () => check(jar, p, longUri(round * 10 + i), polls));
      const answers = await parallel(jar, batch);
      largest = Math.max(largest, jar.header().length);
      for (const res of answers) expect(res.status).toBe(401);
    }

    // Assess
    expect(largest).toBeLessThan(LIMIT);
  });

  it('stay under 4 KB of Cookie header when a browser with nginx (no fetch metadata) is sent to 2 KB URLs', async () => {
    // Prepare: an older browser without Sec-Fetch-*, behind the nginx recipe that sends Accept: application/json
    const jar = new Jar();
    let largest = 0;

    // Act
    for (let n = 0; n < 20; n++) {
      jar.apply(await check(jar, PORTALS[n % PORTALS.length] ?? '', longUri(n), { Accept: 'application/json' }));
      largest = Math.max(largest, jar.header().length);
    }

    // Assess
    expect(largest).toBeLessThan(LIMIT);
  });

  it('stay under 4 KB of Cookie header with many tabs on many portals, 2 KB URLs and 8 parallel checks', async () => {
    // Prepare: the apps' own cookies share the header
    const jar = new Jar();
    jar.cookies.set('app_session', 'x'.repeat(100));
    jar.cookies.set('_ga', 'GA1.2.1234567890.1234567890');
    let largest = 0;

    // Act: 12 rounds of 8 tabs restored at once, each a top-level navigation to a distinct 2 KB URL
    for (let round = 0; round < 12; round++) {
      const batch = Array.from({ length: 8 }, (_, i) => {
        const portal = PORTALS[(round + i) % PORTALS.length] ?? '';
        return () => check(jar, portal, longUri(round * 8 + i), NAVIGATE);
      });
      const answers = await parallel(jar, batch);
      largest = Math.max(largest, jar.header().length);
      for (const res of answers) expect(res.status).toBe(303);
    }

    // Assess
    expect(largest).toBeLessThan(LIMIT);
    expect(jar.cookies.has('app_session')).toBe(true);
  });

  it('stay under 4 KB of Cookie header when a hostile page opens sign-in URLs for 2 KB return URLs', async () => {
    // Prepare
    const jar = new Jar();
    let largest = 0;

    // Act: sign-in URLs taken from 401 answers (which start a login on their own), opened as top-level navigations
    for (let n = 0; n < 60; n++) {
      const portal = PORTALS[n % PORTALS.length] ?? '';
      const unauthorized = await check(jar, portal, longUri(n), { Accept: 'application/json' });
      const signin = unauthorized.headers.get('X-Forward-Auth-Signin-Url') ?? '';
      const url = new URL(signin);
      const res = await rawFetch(`${server.url}${url.pathname}${url.search}`, {
        headers: { ...NAVIGATE, Cookie: jar.header(), 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': url.host },
      });
      jar.apply(res);
      largest = Math.max(largest, jar.header().length);
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toMatch(/\/providers\/pocketid\?state=/);
    }

    // Assess
    expect(largest).toBeLessThan(LIMIT);
  });
});
