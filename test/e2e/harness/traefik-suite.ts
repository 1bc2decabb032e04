import { randomUUID } from 'node:crypto';
import { connect } from 'node:tls';
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import { openPage, screenshot } from './browser.js';
import { type ProxiedApp, rawGet, signInThroughProxy } from './flows.js';
import type { EchoedRequest } from './upstream.js';

export interface TraefikSuiteOptions {
  /** Names this run's screenshots (`<slug>-denied.png`), as proxyBehaviour's. */
  slug: string;
  browser(): Browser;
  app(): ProxiedApp;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The return URL a sign-in URL carries (base64url in its `return` parameter). */
export function returnUrlOf(signinUrl: string | undefined): string | undefined {
  try {
    const value = new URL(signinUrl ?? '').searchParams.get('return');
    return value === null ? undefined : Buffer.from(value, 'base64url').toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * A request with raw bytes in its target, as curl or a script may send (a browser percent-encodes): Node's HTTP client
 * refuses such paths, so this writes HTTP/1.1 on a TLS socket. Returns the status line's code and the Location.
 */
function rawBytesGet(app: ProxiedApp, target: Buffer): Promise<{ status: number; location?: string }> {
  const host = new URL(app.appOrigin);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: app.proxyPort,
      servername: host.hostname,
      rejectUnauthorized: false,
    });
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('secureConnect', () => {
      socket.write(
        Buffer.concat([
          Buffer.from('GET '),
          target,
          Buffer.from(` HTTP/1.1\r\nHost: ${host.host}\r\nAccept: text/html\r\nConnection: close\r\n\r\n`),
        ]),
      );
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const head = Buffer.concat(chunks).toString('latin1').split('\r\n\r\n')[0] ?? '';
      const lines = head.split('\r\n');
      const location = lines.find((l) => /^location:/i.test(l));
      resolve({
        status: Number(lines[0]?.split(' ')[1]),
        ...(location ? { location: location.slice(location.indexOf(':') + 1).trim() } : {}),
      });
    });
  });
}

/**
 * What only Traefik's recipes add to the common proxy behaviour: the `?if=` condition middleware, the 401 mode,
 * every Set-Cookie of a 303 relayed, websocket upgrades, and X-Forwarded-* from an untrusted client ignored.
 */
export function traefikBehaviour(o: TraefikSuiteOptions): void {
  const signinUrl = () => new RegExp(`^${escapeRegExp(o.app().portalUri)}/signin\\?(state=|return=)`);

  it('lets an admin through the Group("admins") middleware and answers 403 to a signed-in non-admin', async () => {
    // Prepare
    const app = o.app();
    const alice = await openPage(o.browser());
    const bob = await openPage(o.browser());

    // Act: both sign in on the app, then open the admin area (its middleware has ?if=Group%28%22admins%22%29).
    await signInThroughProxy(alice.page, app, '/admin/panel', 'alice');
    const aliceText = await alice.page.locator('#echo').textContent();
    await signInThroughProxy(bob.page, app, '/home', 'bob');
    const bobAdmin = await bob.page.goto(`${app.appOrigin}/admin/panel`);
    const bobBody = await bobAdmin?.text();
    // The verify function's 403 page, relayed by Traefik on the app's origin (its CSP with it).
    const denial = await bob.page.locator('main .message').textContent();
    await screenshot(bob.page, `${o.slug}-denied`);
    await alice.context.close();
    await bob.context.close();

    // Assess
    expect((JSON.parse(aliceText ?? '{}') as EchoedRequest).headers['x-forwarded-user']).toBe('alice');
    expect(bobAdmin?.status()).toBe(403);
    expect(bobAdmin?.headers()['cache-control']).toBe('no-store');
    expect(bobAdmin?.headers()['content-security-policy']).toMatch(/^default-src 'none'; style-src 'nonce-/);
    expect(bobBody).not.toContain('Protected app');
    expect(denial).toBe(
      `You're signed in as bob@example.com (Pocket ID), but this account does not have access to ${new URL(app.appOrigin).host}.`,
    );
    expect(bob.report.cspViolations).toEqual([]);
  });

  it('answers 401 with the sign-in URL to a JSON client without a session, and the app never sees it', async () => {
    // Prepare
    const app = o.app();
    const path = `/api/${randomUUID()}`;

    // Act
    const res = await rawGet(app, path, { Accept: 'application/json' });

    // Assess
    expect(res.status).toBe(401);
    expect(res.headers['x-forward-auth-signin-url']).toMatch(signinUrl());
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(returnUrlOf(String(res.headers['x-forward-auth-signin-url']))).toBe(`${app.appOrigin}${path}`);
    expect(app.echo.received.filter((r) => r.url === path)).toEqual([]);
  });

  it('relays the 303 with its absolute Location and every Set-Cookie (cleared session and login state)', async () => {
    // Prepare: a browser holding a session cookie that is no longer valid.
    const app = o.app();
    const path = `/relay/${randomUUID()}?x=1`;

    // Act
    const res = await rawGet(app, path, { Accept: 'text/html', Cookie: 'tf_sess_main=revoked-or-garbage' });

    // Assess
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(signinUrl());
    expect(res.headers['cache-control']).toBe('no-store');
    const cookies = res.headers['set-cookie'] ?? [];
    expect(cookies.map((c) => c.slice(0, c.indexOf('=')))).toEqual([
      'tf_sess_main',
      expect.stringMatching(/^tf_state_main_/),
    ]);
    expect(cookies[0]).toContain('Max-Age=0');
    expect(returnUrlOf(res.headers.location)).toBe(`${app.appOrigin}${path}`);
  });

  it('ignores X-Forwarded-Host/-Uri/-Proto sent by a client that is not a trusted proxy', async () => {
    // Prepare
    const app = o.app();
    const path = `/real/${randomUUID()}`;

    // Act
    const res = await rawGet(app, path, {
      Accept: 'text/html',
      'X-Forwarded-Host': 'evil.example.test',
      'X-Forwarded-Uri': '/forged',
      'X-Forwarded-Proto': 'http',
    });

    // Assess: the return URL is the request Traefik received, not what the client claimed.
    expect(res.status).toBe(303);
    expect(returnUrlOf(res.headers.location)).toBe(`${app.appOrigin}${path}`);
  });

  it('keeps the return URL of a request with a raw non-ASCII byte in its query (sent by a non-browser client)', async () => {
    // Prepare: the UTF-8 bytes of "ä", unencoded; Traefik passes the query raw in X-Forwarded-Uri (Go's RequestURI).
    const app = o.app();
    const path = `/raw/${randomUUID()}`;

    // Act
    const res = await rawBytesGet(app, Buffer.concat([Buffer.from(`${path}?q=`), Buffer.from('ä', 'utf8')]));

    // Assess: the same return URL the standalone server builds from those bytes.
    expect(res.status).toBe(303);
    expect(returnUrlOf(res.location)).toBe(`${app.appOrigin}${path}?q=%C3%A4`);
  });

  it('authorises a websocket upgrade to the app with the identity headers, and refuses it without a session', async () => {
    // Prepare
    const app = o.app();
    const { context, page } = await openPage(o.browser());
    await signInThroughProxy(page, app, '/ws-home');
    const wsUrl = `${app.appOrigin.replace(/^https/, 'wss').replace(/^http/, 'ws')}/ws/${randomUUID()}`;
    // Page-side code as text: this project compiles without the DOM library.
    const open = (url: string) => `new Promise((resolve) => {
      const ws = new WebSocket(${JSON.stringify(url)});
      ws.onmessage = (e) => { resolve(String(e.data)); ws.close(); };
      ws.onerror = () => resolve('error');
      setTimeout(() => resolve('timeout'), 5000);
    })`;

    // Act
    const signedIn = String(await page.evaluate(open(wsUrl)));
    const anonymous = await openPage(o.browser());
    await anonymous.page.goto(`${app.portalUri}/signin`).catch(() => undefined);
    const refused = String(await anonymous.page.evaluate(open(`${wsUrl}-anonymous`)));
    await context.close();
    await anonymous.context.close();

    // Assess
    const echoed = JSON.parse(signedIn) as EchoedRequest;
    expect(echoed.headers.upgrade?.toLowerCase()).toBe('websocket');
    expect(echoed.headers['x-forwarded-user']).toBe('alice');
    expect(refused).toBe('error');
    expect(app.echo.received.filter((r) => r.url === new URL(`${wsUrl}-anonymous`).pathname)).toEqual([]);
  });
}
