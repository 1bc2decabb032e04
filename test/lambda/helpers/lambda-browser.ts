/**
 * A browser (tough-cookie jar, manual redirects) whose requests reach the auth server only through the local AWS
 * front doors (dev/aws-local.ts): auth-host URLs through the HTTP API on its custom domain, app URLs through "Traefik"
 * calling verify (the Function URL or the HTTP API's own host), identity-provider URLs over real HTTP. What each
 * function received and returned is kept for boundary assertions.
 */
import { CookieJar } from 'tough-cookie';
import type { FrontDoorEvent, FrontDoorResult } from '../../../dev/aws-front-door.js';
import type { LocalAws } from '../../../dev/aws-local.js';
import type { FunctionName } from '../../../functions/config-asset.js';
import { followRedirects, loginThroughIdp } from '../../helpers/login-flow.js';
import { type DoorResponse, doorRequest } from './front-door-client.js';

export interface Hop {
  url: string;
  status: number;
  headers: Record<string, string>;
  /** The Set-Cookie lines the browser received (the front door writes one per entry of the result's `cookies[]`). */
  cookies: string[];
  body: string;
  /** Which function answered (undefined for the identity provider). */
  fn?: FunctionName;
  isBase64Encoded?: boolean;
}

export interface LambdaBrowserOptions {
  /** The bundles behind the local front doors, and the CA their certificate chains to. */
  aws: LocalAws;
  ca: string;
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
  readonly invocations: {
    fn: FunctionName;
    event: FrontDoorEvent;
    result: FrontDoorResult;
    replay: () => Promise<DoorResponse>;
  }[] = [];

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

    const cookie = await this.jar.getCookieString(url);
    const withCookie = { ...browserHeaders, ...(cookie ? { Cookie: cookie } : {}) };
    const { aws } = this.opts;
    if (u.host === this.opts.authHost)
      // The browser reaches the auth host directly: the HTTP API custom domain, no proxy, no X-Forwarded-Host.
      return this.send(url, () =>
        doorRequest(aws.httpApi, this.opts.ca, {
          method,
          path: u.pathname + u.search,
          host: u.host,
          headers: withCookie,
          ...(init.body !== undefined ? { body: init.body } : {}),
        }),
      );

    // An app URL: Traefik's forwardAuth sends GET to its address with the browser's headers plus X-Forwarded-*.
    const headers = {
      ...withCookie,
      'X-Forwarded-Method': method,
      'X-Forwarded-Proto': u.protocol.replace(':', ''),
      'X-Forwarded-Host': u.host,
      'X-Forwarded-Uri': u.pathname + u.search,
      'X-Forwarded-Port': '443',
      'X-Forwarded-For': '203.0.113.7',
    };
    const door = this.opts.verifyVia === 'functionUrl' ? aws.functionUrl : aws.httpApi;
    return this.send(url, () =>
      doorRequest(door, this.opts.ca, { path: this.opts.forwardAuthPath ?? '/portals/main', headers }),
    );
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

  private async send(url: string, call: () => Promise<DoorResponse>): Promise<Hop> {
    const res = await call();
    const fn = res.invocation?.target as FunctionName | undefined;
    if (res.event && res.result && fn) {
      this.invocations.push({ fn, event: res.event, result: res.result, replay: call });
      if (Object.keys(res.result.headers ?? {}).some((h) => h.toLowerCase() === 'set-cookie'))
        throw new Error(`${fn} returned Set-Cookie in headers instead of cookies[]`);
    }
    for (const c of res.setCookies) await this.jar.setCookie(c, url);
    return {
      url,
      status: res.status,
      headers: res.headers,
      cookies: res.setCookies,
      body: res.raw.toString('latin1'),
      ...(fn ? { fn } : {}),
      ...(res.result?.isBase64Encoded !== undefined ? { isBase64Encoded: res.result.isBase64Encoded } : {}),
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
