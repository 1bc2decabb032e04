/**
 * A browser (tough-cookie jar, manual redirects) whose requests reach the auth server only as Lambda events: auth-host
 * URLs through the HTTP API on its custom domain (routed as API Gateway routes them, from infra/routes.ts), app URLs
 * through "Traefik" calling the verify function (Function URL or HTTP API), identity-provider URLs over real HTTP.
 * Cookies travel only in the events' and results' `cookies[]` arrays.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CookieJar } from 'tough-cookie';
import type { FunctionName } from '../../../functions/config-asset.js';
import type { HttpEvent, HttpResult } from '../../../functions/runtime.js';
import { apiRoutes, DEFAULT_ROUTE_FUNCTION } from '../../../infra/routes.js';
import type { Config } from '../../../shared/config/types.js';
import { followRedirects, loginThroughIdp } from '../../helpers/login-flow.js';
import { API_HOST, apiGatewayEvent, functionUrlEvent } from './events.js';

export type LambdaHandler = (event: HttpEvent) => Promise<HttpResult>;
export type Bundles = Record<FunctionName, LambdaHandler>;

/**
 * Loads the built bundles (dist/<fn>/index.mjs) with Node's own module loader, as the Lambda runtime does; vitest's
 * `import()` would run ~2.5 MB of minified code through Vite's transform first. Node ≥ 20.19 loads ES modules through
 * `require` (the bundles have no top-level await). They read env and config at load, so set those first.
 */
export function loadBundles(root: string): Bundles {
  const nodeRequire = createRequire(import.meta.url);
  const load = (fn: FunctionName): LambdaHandler => {
    const mod: { handler?: LambdaHandler } = nodeRequire(join(root, 'dist', fn, 'index.mjs'));
    if (typeof mod.handler !== 'function') throw new Error(`dist/${fn}/index.mjs exports no handler`);
    return mod.handler;
  };
  return { verify: load('verify'), login: load('login'), callback: load('callback') };
}

export interface SelectedRoute {
  fn: FunctionName;
  routeKey: string;
  pathParameters?: Record<string, string>;
}

/** API Gateway's route selection over our route table: an explicit route when one matches, else `$default`. */
export function selectRoute(config: Config, method: string, path: string): SelectedRoute {
  for (const route of apiRoutes(config)) {
    if (route.method !== method) continue;
    const names: string[] = [];
    const pattern = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const m = new RegExp(`^${pattern}$`).exec(path);
    if (!m) continue;
    const pathParameters = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
    return { fn: route.fn, routeKey: `${route.method} ${route.path}`, ...(names.length ? { pathParameters } : {}) };
  }
  return { fn: DEFAULT_ROUTE_FUNCTION, routeKey: '$default' };
}

export interface Hop {
  url: string;
  status: number;
  headers: Record<string, string>;
  /** Set-Cookie values, from the result's `cookies[]` (or the IdP's Set-Cookie headers). */
  cookies: string[];
  body: string;
  /** Which function answered (undefined for the identity provider). */
  fn?: FunctionName;
  isBase64Encoded?: boolean;
}

export interface LambdaBrowserOptions {
  bundles: Bundles;
  config: Config;
  /** Identity provider base URL; its URLs are fetched for real. */
  idp: string;
  /** The auth host browsers reach directly (the HTTP API custom domain). */
  authHost: string;
  /** How Traefik reaches verify: the Function URL, or the HTTP API. */
  verifyVia: 'functionUrl' | 'api';
  /** Path (and query) of Traefik's forwardAuth address. @default '/portals/main' */
  forwardAuthPath?: string;
}

export class LambdaBrowser {
  readonly jar = new CookieJar();
  /** Every invocation, for boundary assertions and replays. */
  readonly invocations: { fn: FunctionName; event: HttpEvent; result: HttpResult }[] = [];

  constructor(readonly opts: LambdaBrowserOptions) {}

  /** One request, no redirect following. */
  async request(url: string, init: { method?: string; body?: string; contentType?: string } = {}): Promise<Hop> {
    const u = new URL(url);
    const method = init.method ?? 'GET';
    const browserHeaders: Record<string, string> = {
      'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) vitest-lambda-browser/1.0',
      Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      ...(init.contentType ? { 'Content-Type': init.contentType } : {}),
    };
    if (url.startsWith(this.opts.idp)) return this.fetchIdp(url, method, browserHeaders, init.body);

    const cookies = (await this.jar.getCookies(url)).map((c) => c.cookieString());
    if (u.host === this.opts.authHost) {
      // The browser reaches the auth host directly: the HTTP API custom domain, no proxy, no X-Forwarded-Host.
      const route = selectRoute(this.opts.config, method, u.pathname);
      const event = apiGatewayEvent(
        {
          method,
          path: u.pathname + u.search,
          headers: browserHeaders,
          cookies,
          body: init.body,
          base64: init.body !== undefined,
        },
        { routeKey: route.routeKey, pathParameters: route.pathParameters, domainName: this.opts.authHost },
      );
      return this.invoke(url, route.fn, event);
    }

    // An app URL: Traefik's forwardAuth sends GET to its address with the browser's headers plus X-Forwarded-*.
    const path = this.opts.forwardAuthPath ?? '/portals/main';
    const traefik = {
      method: 'GET',
      path,
      cookies,
      headers: {
        ...browserHeaders,
        'X-Forwarded-Method': method,
        'X-Forwarded-Proto': u.protocol.replace(':', ''),
        'X-Forwarded-Host': u.host,
        'X-Forwarded-Uri': u.pathname + u.search,
        'X-Forwarded-Port': '443',
        'X-Forwarded-For': '203.0.113.7',
      },
    };
    if (this.opts.verifyVia === 'functionUrl') return this.invoke(url, 'verify', functionUrlEvent(traefik));
    const route = selectRoute(this.opts.config, 'GET', new URL(path, 'https://x').pathname);
    const event = apiGatewayEvent(traefik, {
      routeKey: route.routeKey,
      pathParameters: route.pathParameters,
      domainName: API_HOST,
    });
    return this.invoke(url, route.fn, event);
  }

  /** Follows redirects up to `max` hops; a relative Location from our functions fails the test. */
  navigate(url: string, max = 20): Promise<Hop[]> {
    return followRedirects(this.flow(), url, max);
  }

  /** Opens `url` and completes the dev IdP's login form as `user`; returns every hop. */
  login(url: string, user = 'alice'): Promise<Hop[]> {
    return loginThroughIdp(this.flow(), url, user);
  }

  private flow() {
    return {
      request: (url: string, init?: { form: string }) =>
        this.request(
          url,
          init && { method: 'POST', contentType: 'application/x-www-form-urlencoded', body: init.form },
        ),
      location: (hop: Hop) => hop.headers.location,
      isIdp: (url: string) => url.startsWith(this.opts.idp),
    };
  }

  private async invoke(url: string, fn: FunctionName, event: HttpEvent): Promise<Hop> {
    const result = await this.opts.bundles[fn](event);
    this.invocations.push({ fn, event, result });
    if (Object.keys(result.headers).some((h) => h.toLowerCase() === 'set-cookie'))
      throw new Error(`${fn} returned Set-Cookie in headers instead of cookies[]`);
    for (const c of result.cookies) await this.jar.setCookie(c, url);
    const body = result.isBase64Encoded
      ? Buffer.from(result.body ?? '', 'base64').toString('latin1')
      : (result.body ?? '');
    return {
      url,
      status: result.statusCode ?? 200,
      headers: Object.fromEntries(Object.entries(result.headers).map(([k, v]) => [k.toLowerCase(), v])),
      cookies: result.cookies,
      body,
      fn,
      isBase64Encoded: result.isBase64Encoded,
    };
  }

  private async fetchIdp(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Hop> {
    const cookie = await this.jar.getCookieString(url);
    const res = await fetch(url, {
      method,
      headers: { ...headers, ...(cookie ? { Cookie: cookie } : {}) },
      body,
      redirect: 'manual',
    });
    const cookies = res.headers.getSetCookie();
    for (const c of cookies) await this.jar.setCookie(c, url, { ignoreError: true });
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      out[k] = v;
    });
    return { url, status: res.status, headers: out, cookies, body: await res.text() };
  }
}
