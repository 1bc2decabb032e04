import { describe, expect, it } from 'vitest';
import { type Denial, deniedPage } from '../../shared/routes/denied-page.js';

const DENIAL: Denial = {
  user: 'alice@example.com',
  providerDisplayName: 'Pocket ID',
  portalDisplayName: 'Example Corp',
  appHost: 'app.example.com',
  switchUserUrl: 'https://auth.example.com/portals/main/authenticated',
  requestId: 'req-1',
};

describe('the denial page (verify 403 for a browser)', () => {
  it('is a 403 HTML page with its own nonce as the only allowed style, and nothing else allowed', async () => {
    // Act
    const res = deniedPage(DENIAL);
    const body = await res.text();

    // Assess
    const nonce = /<style nonce="([0-9a-f]{32})">/.exec(body)?.[1];
    expect(res.status).toBe(403);
    expect(Object.fromEntries(res.headers)).toEqual({
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'`,
      'content-type': 'text/html; charset=utf-8',
      'permissions-policy': 'interest-cohort=()',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'x-robots-tag': 'noindex, nofollow',
    });
    expect(body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(body).toContain('font:400 1rem/1.5 system-ui,-apple-system,"Segoe UI"');
    expect(body).not.toMatch(/<script|<link|<form|<img| style=/);
  });

  it('says only that access was denied without a condition, and names the condition with one', async () => {
    const plain = await deniedPage(DENIAL).text();
    const explained = await deniedPage({ ...DENIAL, condition: 'Group("admins")' }).text();

    expect(plain).toContain('but this account does not have access to <b>app.example.com</b>.');
    expect(plain).not.toContain('requires');
    expect(explained).toContain('but this app requires <code>Group(&quot;admins&quot;)</code>.');
  });

  it('escapes every value and neutralises a non-http link', async () => {
    // Prepare
    const evil = '<script>alert(1)</script>"\'&';

    // Act
    const body = await deniedPage({
      user: evil,
      providerDisplayName: evil,
      portalDisplayName: evil,
      appHost: evil,
      condition: evil,
      switchUserUrl: 'javascript:alert(1)',
      requestId: evil,
    }).text();

    // Assess
    expect(body).not.toContain('<script');
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(body).toContain('<a href="#">Sign in as someone else</a>');
  });
});
