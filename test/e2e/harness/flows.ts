import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { BrowserContext, Page } from 'playwright-core';
import { redirectChain, signInAtIdp } from './browser.js';
import type { EchoApp, EchoedRequest } from './upstream.js';

/** A protected app as the browser sees it through a real proxy. */
export interface ProxiedApp {
  /** Origin of the app through the proxy, e.g. `http://app.example.test:41234`. */
  appOrigin: string;
  /** Public portal URI (what the server puts in its redirects), e.g. `http://auth.example.test:41234/portals/main`. */
  portalUri: string;
  /** Loopback port the proxy listens on (every host name of the test maps to 127.0.0.1). */
  proxyPort: number;
  idpIssuer: string;
  echo: EchoApp;
}

/** Identity headers the auth server emits (and the only source the app may trust). */
export const IDENTITY_HEADERS = ['x-forwarded-user', 'x-forwarded-displayname', 'x-authenticated-user'] as const;

/**
 * Opens `path` on the app, follows the redirects to the IdP, signs in as `user` and waits until the browser is back on
 * exactly the URL it asked for. Returns the URLs the first navigation went through.
 */
export async function signInThroughProxy(page: Page, app: ProxiedApp, path: string, user = 'alice'): Promise<string[]> {
  const url = new URL(path, app.appOrigin).href;
  const chain = redirectChain(await page.goto(url));
  await signInAtIdp(page, app.idpIssuer, user);
  await page.waitForURL(url);
  return chain;
}

/** Logs out with the Log out button of the portal's "authenticated" page and waits for the logged-out banner. */
export async function signOutThroughProxy(page: Page, app: ProxiedApp): Promise<void> {
  await page.goto(`${app.portalUri}/authenticated`);
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await page.getByText('Signed out.').waitFor();
}

/** The session cookie(s) of the portal, as the browser holds them for the app's URL. */
export async function sessionCookies(context: BrowserContext, app: ProxiedApp): Promise<string[]> {
  return (await context.cookies(app.appOrigin)).filter((c) => c.name.startsWith('tf_sess')).map((c) => c.name);
}

/** The `Cookie` header the browser would send to the app. */
export async function cookieHeader(context: BrowserContext, app: ProxiedApp): Promise<string> {
  return (await context.cookies(app.appOrigin)).map((c) => `${c.name}=${c.value}`).join('; ');
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One GET to the proxy on 127.0.0.1 with a chosen Host and arbitrary headers (a client that forges headers is not a
 * browser, so this is plain node:http, or node:https with the app's host as SNI and any certificate accepted when the
 * app is served over HTTPS). Times out after 10 s.
 */
export function rawGet(app: ProxiedApp, path: string, headers: Record<string, string>): Promise<RawResponse> {
  const origin = new URL(app.appOrigin);
  const tls = origin.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(
      {
        host: '127.0.0.1',
        port: app.proxyPort,
        path,
        method: 'GET',
        headers: { Host: origin.host, ...headers },
        timeout: 10_000,
        ...(tls ? { servername: origin.hostname, rejectUnauthorized: false } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Every identity header the app received, under any spelling an app framework might fold onto it: the name
 * lower-cased with `_` read as `-` (CGI/WSGI turn both into HTTP_X_FORWARDED_USER).
 */
export function identityAsSeenByApp(received: EchoedRequest): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(received.headers)) {
    const folded = name.toLowerCase().replace(/_/g, '-');
    if (!(IDENTITY_HEADERS as readonly string[]).includes(folded) || value === undefined) continue;
    out[folded] = [...(out[folded] ?? []), ...(Array.isArray(value) ? value : [value])];
  }
  return out;
}

/** Headers a forging client sends: every identity header, in canonical and underscore spellings. */
export const FORGED_HEADERS: Record<string, string> = {
  'X-Forwarded-User': 'mallory',
  'X-Forwarded-Displayname': 'Mallory Forger',
  'X-Authenticated-User': '{"provider":"pocketid","portal":"main","user":"mallory"}',
  X_Forwarded_User: 'mallory',
  X_Forwarded_Displayname: 'Mallory Forger',
  X_Authenticated_User: '{"provider":"pocketid","portal":"main","user":"mallory"}',
};
