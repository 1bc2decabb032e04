/**
 * The built bundles end to end: dist/{verify,login,callback}/index.mjs behind the local Function URL and HTTP API
 * (dev/aws-local.ts), against dynalite, a loopback Secrets Manager (real SDK, JSON 1.1 protocol) and the dev OpenID provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deployment, pocketIdConfig, SECRET_NAME, startDeployment } from './helpers/deployment.js';
import { LambdaBrowser } from './helpers/lambda-browser.js';

const APP = 'https://app.example.com/dashboard?tab=1';

let deployment: Deployment;

beforeAll(async () => {
  deployment = await startDeployment({
    // The verify cache is off so that a revocation shows on the next check, across the two bundles.
    rawConfig: (issuer) => pocketIdConfig(issuer, { sessions: { verifyCacheTTL: '0s' }, logs: { level: 'error' } }),
    users: { zoe: { name: 'Zoë Ünïcode 名前', email: 'zoe@example.com', email_verified: true, groups: ['admins'] } },
  });
});

afterAll(async () => {
  await deployment?.close();
});

function browser(verifyVia: 'functionUrl' | 'api') {
  return new LambdaBrowser({
    aws: deployment.aws,
    ca: deployment.pki.caPEM,
    idp: deployment.idp.issuer,
    authHost: 'auth.example.com',
    verifyVia,
  });
}

describe('a full login through the Lambda handlers alone', () => {
  for (const verifyVia of ['functionUrl', 'api'] as const)
    it(`logs in and is let through when Traefik calls verify via the ${verifyVia === 'api' ? 'HTTP API' : 'Function URL'}`, async () => {
      // Prepare
      const b = browser(verifyVia);

      // Act: app → verify 303 → signin → provider → IdP login → callback 307 → app again.
      const hops = await b.login(APP, 'zoe');
      await b.jar.setCookie('theme=dark; Domain=example.com; Path=/', APP);
      const check = await b.request(APP);

      // Assess: each step answered by the function that owns the route, with absolute redirects.
      const steps = hops.filter((h) => h.fn).map((h) => `${h.fn} ${h.status}`);
      expect(steps).toEqual(['verify 303', 'login 303', 'login 303', 'callback 307', 'verify 200']);
      const callback = hops.find((h) => h.fn === 'callback');
      expect(callback?.headers.location).toBe(APP);
      expect(callback?.cookies.some((c) => c.startsWith('tf_sess_main='))).toBe(true);
      expect(check.status).toBe(200);
      expect(check.headers['x-forwarded-user']).toBe('zoe');
      // On the wire: the UTF-8 bytes of the name (Node reads header bytes one char per byte).
      expect(Buffer.from(check.headers['x-forwarded-displayname'] ?? '', 'latin1').toString('utf8')).toBe(
        'Zoë Ünïcode 名前',
      );
      expect(JSON.parse(check.headers['x-authenticated-user'] ?? '')).toEqual({
        provider: 'pocketid',
        portal: 'main',
        user: 'zoe',
      });
      // The app's cookies come back in the Cookie header for the proxy to forward; the session cookie does not.
      expect(check.headers.cookie).toBe('theme=dark');
      // Every Set-Cookie travelled in cookies[] (the browser helper fails on a Set-Cookie header).
      expect(b.invocations.every(({ result }) => Array.isArray(result.cookies))).toBe(true);
    });

  it('reads the client secret from Secrets Manager once and caches it across logins', async () => {
    // Prepare: the two logins above ran in this container (module scope).
    // Act
    const reads = deployment.secretsManager.reads;
    // Assess: one GetSecretValue, by the name the stack gave the secret it created.
    expect(reads).toEqual([SECRET_NAME]);
  });

  it('revokes the session at logout: the next check redirects to sign-in again', async () => {
    // Prepare
    const b = browser('functionUrl');
    await b.login(APP, 'alice');
    expect((await b.request(APP)).status).toBe(200);

    // Act: the profile page's logout form posts (the HTTP API delivers the form body base64-encoded).
    const logout = await b.request('https://auth.example.com/portals/main/logout', {
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      body: 'submit=1',
    });
    const after = await b.request(APP);

    // Assess
    expect(logout.fn).toBe('login');
    expect(logout.status).toBe(303);
    expect(logout.headers.location).toBe('https://auth.example.com/portals/main?logout=1&provider=pocketid');
    expect(logout.cookies.some((c) => /^tf_sess_main=;/.test(c))).toBe(true);
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^https:\/\/auth\.example\.com\/portals\/main\/signin\?state=/);
  });

  it('rejects a replayed callback request: the first one consumed the login state', async () => {
    // Prepare
    const b = browser('functionUrl');
    await b.login(APP, 'alice');
    const first = b.invocations.find((i) => i.fn === 'callback');
    expect(first?.result.statusCode).toBe(307);

    // Act: the identical request again (same code, state and state cookie).
    const replay = first && (await first.replay());

    // Assess: the browser gets the portal's HTML error page, as from the standalone server.
    expect(replay?.invocation?.target).toBe('callback');
    expect(replay?.status).toBe(401);
    expect(replay?.headers['content-type']).toMatch(/^text\/html/);
    expect(replay?.body).toContain('Login state not found or already used');
    expect(replay?.setCookies).toEqual([]);
    expect(replay?.result?.cookies).toEqual([]);
  });

  it("lists the user's sessions and logs out everywhere: the login role's index and batch statements", async () => {
    // Prepare: two sessions of one user.
    await browser('api').login(APP, 'carol');
    const b = browser('functionUrl');
    await b.login(APP, 'carol');

    // Act: the signed-in page lists them (Query on byUser + BatchGetItem), logout everywhere ends them
    // (Query + BatchWriteItem).
    const page = await b.request('https://auth.example.com/portals/main/authenticated');
    const everywhere = await b.request('https://auth.example.com/portals/main/logout?everywhere=1', {
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      body: 'submit=1',
    });

    // Assess
    expect(page.fn).toBe('login');
    expect(page.status).toBe(200);
    expect(everywhere.status).toBe(303);
    expect(everywhere.headers.location).toBe(
      'https://auth.example.com/portals/main?logout=1&sessions=2&provider=pocketid',
    );
  });

  it("sent the store nothing the functions' roles do not allow (the IAM stand-in, dev/iam-gate.ts)", () => {
    expect(deployment.aws.iam.denied).toEqual([]);
    expect(deployment.aws.iam.checked).toBeGreaterThan(20);
  });
});
