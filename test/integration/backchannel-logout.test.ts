import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicConfig, type Hop, type Stack, startStack, TEST_CLIENT } from '../helpers/stack.js';

const APP = 'https://app.example.com/dashboard';
const PATH = '/portals/main/oauth2/backchannel-logout';

/**
 * The provider's back-channel call goes to this loopback relay (registered before the server's port is known), which
 * forwards it to the real server as the auth host would receive it, and records the token and our answer.
 */
class Relay {
  target = '';
  readonly calls: { token: string; status: number; body: string; cacheControl: string | null }[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const answer = await post(this.target, body).catch((err: unknown) => ({
          status: 502,
          body: String(err),
          cacheControl: null,
        }));
        this.calls.push({ token: new URLSearchParams(body).get('logout_token') ?? '', ...answer });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${PATH}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

async function post(url: string, body: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Forwarded-Host': 'auth.example.com',
      'X-Forwarded-Proto': 'https',
    },
    body,
  });
  return { status: res.status, body: await res.text(), cacheControl: res.headers.get('cache-control') };
}

/** Signs the user out at the dev IdP (its end-session page, confirmed), which fires the back-channel logout. */
async function logoutAtIdp(stack: Stack, b: ReturnType<Stack['browser']>): Promise<Hop> {
  const page = await b.request(`${stack.idp.issuer}/api/oidc/end-session`);
  const action = /<form id="op\.logoutForm" method="post" action="([^"]+)">/.exec(page.body)?.[1] ?? '';
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  return b.request(new URL(action, page.url).href, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  });
}

describe('back-channel logout from the dev IdP', () => {
  let stack: Stack;
  const relay = new Relay();

  beforeAll(async () => {
    const uri = await relay.start();
    stack = await startStack({
      config: (issuer) => basicConfig(issuer),
      idp: {
        clients: [
          {
            ...TEST_CLIENT,
            metadata: { backchannel_logout_uri: uri, backchannel_logout_session_required: true },
          },
        ],
      },
    });
    relay.target = `${stack.server.url}${PATH}`;
  });
  afterAll(async () => {
    await stack?.close();
    await relay.close();
  });

  it('ends the session when the user signs out at the provider: the next check gets 303', async () => {
    const b = stack.browser();
    const other = stack.browser();
    await b.login(APP, 'alice');
    await other.login(APP, 'alice');
    expect((await b.request(APP)).status).toBe(200);

    await logoutAtIdp(stack, b);

    expect(relay.calls.at(-1)).toMatchObject({ status: 200, body: '{}', cacheControl: 'no-store' });
    expect((await b.request(APP)).status).toBe(303);
    // Another browser has its own provider session (its own sid): untouched.
    expect((await other.request(APP)).status).toBe(200);
  });

  it('refuses a replayed logout token (same jti) with 400', async () => {
    const b = stack.browser();
    await b.login(APP, 'bob');
    await logoutAtIdp(stack, b);
    const token = relay.calls.at(-1)?.token ?? '';

    const again = await post(relay.target, new URLSearchParams({ logout_token: token }).toString());

    expect(again.status).toBe(400);
    expect(JSON.parse(again.body)).toEqual({
      error: 'invalid_request',
      error_description: 'The logout token was already used',
    });
    expect(again.cacheControl).toBe('no-store');
  });

  it('refuses a missing or forged logout token with 400, ending nothing', async () => {
    const b = stack.browser();
    await b.login(APP, 'carol');
    const real = relay.calls.at(-1)?.token ?? 'a.b.c';
    const [header, payload] = real.split('.');

    const missing = await post(relay.target, '');
    const forged = await post(relay.target, `logout_token=${header}.${payload}.AAAA`);

    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body).error_description).toBe('logout_token is required');
    expect(forged.status).toBe(400);
    expect(JSON.parse(forged.body).error_description).toBe('The logout token is not valid');
    expect((await b.request(APP)).status).toBe(200);
  });
});
