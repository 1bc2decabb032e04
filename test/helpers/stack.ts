import { CookieJar } from 'tough-cookie';
import { type Standalone, startStandalone } from '../../bin/standalone.js';
import { type DevIdp, type DevIdpOptions, startDevIdp } from '../../dev/idp.js';
import { validateConfig } from '../../shared/config/load.js';
import type { Config } from '../../shared/config/types.js';
import { createLogger } from '../../shared/log.js';
import { followRedirects, loginThroughIdp } from './login-flow.js';
import { rawFetch } from './raw-fetch.js';

export const TEST_CLIENT = { clientId: 'tfa-test', clientSecret: 'test-client-secret-0123456789' };

export interface Stack {
  idp: DevIdp;
  server: Standalone;
  config: Config;
  /** Every log line the server wrote. */
  logs: string[];
  browser(opts?: Partial<BrowserOptions>): Browser;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Builds the raw config object from the IdP issuer URL. */
  config: (issuer: string) => unknown;
  idp?: Partial<DevIdpOptions>;
  env?: Record<string, string | undefined>;
  now?: () => number;
  /** Overrides `metrics.port` (0: a free port). */
  metricsPort?: number;
}

/** The real server (standalone, embedded dynalite) plus the dev OpenID provider, both on loopback random ports. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const idp = await startDevIdp({ clients: [TEST_CLIENT], requirePkce: true, allowRedirect: () => true, ...opts.idp });
  const { config, notices } = validateConfig(opts.config(idp.issuer), 'test config', { env: opts.env });
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', json: true, write: (l) => logs.push(l) });
  const server = await startStandalone({
    config,
    notices,
    port: 0,
    bind: '127.0.0.1',
    log,
    env: opts.env,
    now: opts.now,
    metricsPort: opts.metricsPort,
  });
  return {
    idp,
    server,
    config,
    logs,
    browser: (b) => new Browser({ server: server.url, idp: idp.issuer, forwardAuthPath: '/portals/main', ...b }),
    close: async () => {
      await server.close();
      await idp.close();
    },
  };
}

/**
 * The real server on a random loopback port with a silent logger, for tests that bring their own identity provider
 * fakes; `providerFetch` routes its provider calls (real public URLs) to them.
 */
export async function startQuietServer(rawConfig: unknown, providerFetch?: typeof fetch): Promise<Standalone> {
  const { config } = validateConfig(rawConfig, 'test config');
  return startStandalone({
    config,
    port: 0,
    bind: '127.0.0.1',
    log: createLogger({ level: 'error', json: true, write: () => {} }),
    providerFetch,
  });
}

/** A minimal Pocket-ID-style config for one portal `main`. */
export function basicConfig(issuer: string, extra: { server?: object; cookies?: object; portal?: object } = {}) {
  return {
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }], ...extra.server },
    cookies: extra.cookies,
    portals: [
      {
        name: 'main',
        providers: [
          { pocketID: { endpoint: issuer, clientID: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret } },
        ],
        ...extra.portal,
      },
    ],
  };
}

export interface BrowserOptions {
  /** Base URL of the real auth server. */
  server: string;
  /** IdP issuer; URLs under it are fetched directly. */
  idp: string;
  /** Path of the forward-auth check Traefik calls for app URLs (the middleware `address` path and query). */
  forwardAuthPath: string;
  /** Decides which virtual URLs are the auth server's own pages (the rest are apps behind "Traefik"). */
  isAuthUrl: (url: URL) => boolean;
  /** Extra headers Traefik adds to forward-auth calls (e.g. X-Forward-Auth-If). */
  forwardAuthHeaders: Record<string, string>;
  userAgent: string;
}

export interface Hop {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** For app URLs: what "Traefik" decided (the auth server's answer), and the headers the app would get. */
  app?: { identity: Record<string, string> };
}

/**
 * A browser (tough-cookie jar, manual redirects) behind a Traefik-like proxy. App URLs (https://app.example.com/…)
 * are checked through the real auth server's forward-auth route with X-Forwarded-* headers, exactly as Traefik
 * does; auth-server URLs are sent to the real server with the virtual host in X-Forwarded-Host; IdP URLs are real.
 */
export class Browser {
  readonly jar = new CookieJar();
  readonly opts: BrowserOptions;

  constructor(opts: Partial<BrowserOptions> & Pick<BrowserOptions, 'server' | 'idp'>) {
    this.opts = {
      forwardAuthPath: '/portals/main',
      isAuthUrl: (u) => u.pathname.includes('/portals/') || u.pathname.startsWith('/api/'),
      forwardAuthHeaders: {},
      userAgent: 'vitest-browser/1.0',
      ...opts,
    };
  }

  /** One request, no redirect following. */
  async request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Hop> {
    const u = new URL(url);
    const cookie = await this.jar.getCookieString(url);
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent, Accept: '*/*', ...init.headers };
    if (cookie) headers.Cookie = cookie;

    if (url.startsWith(this.opts.idp))
      return this.store(url, await fetch(url, { ...init, headers, redirect: 'manual' }));

    const forwarded = {
      'X-Forwarded-Proto': u.protocol.replace(':', ''),
      'X-Forwarded-Host': u.host,
      'X-Forwarded-For': '203.0.113.7',
      'X-Forwarded-Port': u.port || (u.protocol === 'https:' ? '443' : '80'),
    };
    if (this.opts.isAuthUrl(u)) {
      const res = await rawFetch(this.opts.server + u.pathname + u.search, {
        ...init,
        headers: { ...headers, ...forwarded },
      });
      return this.store(url, res);
    }
    // An app URL: Traefik's forwardAuth calls the auth server with GET and the original request's headers.
    const check = await rawFetch(this.opts.server + this.opts.forwardAuthPath, {
      headers: {
        ...headers,
        ...forwarded,
        'X-Forwarded-Method': init.method ?? 'GET',
        'X-Forwarded-Uri': u.pathname + u.search,
        ...this.opts.forwardAuthHeaders,
      },
    });
    const hop = await this.store(url, check);
    if (check.status >= 200 && check.status < 300) {
      const identity: Record<string, string> = {};
      check.headers.forEach((v, k) => {
        if (/^x-(forwarded-user|forwarded-displayname|authenticated-user)$|^x-/i.test(k) && k !== 'x-request-id')
          identity[k] = v;
      });
      hop.app = { identity };
    }
    return hop;
  }

  private async store(url: string, res: Response): Promise<Hop> {
    for (const c of res.headers.getSetCookie()) await this.jar.setCookie(c, url, { ignoreError: true });
    return { url, status: res.status, headers: res.headers, body: await res.text() };
  }

  /** Follows redirects up to `max` hops; a relative Location from our server fails the test. */
  navigate(url: string, max = 20): Promise<Hop[]> {
    return followRedirects(this.flow(), url, max);
  }

  /**
   * Opens `url` and completes the dev IdP's login form as `user`; returns every hop, ending at the app (or wherever
   * the flow stopped).
   */
  login(url: string, user = 'alice'): Promise<Hop[]> {
    return loginThroughIdp(this.flow(), url, user);
  }

  private flow() {
    return {
      request: (url: string, init?: { form: string }) =>
        this.request(
          url,
          init && {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: init.form,
          },
        ),
      location: (hop: Hop) => hop.headers.get('location') ?? undefined,
      isIdp: (url: string) => url.startsWith(this.opts.idp),
    };
  }

  async cookie(url: string, name: string) {
    return (await this.jar.getCookies(url)).find((c) => c.key === name);
  }
}
