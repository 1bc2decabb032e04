import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { newNonce } from '../../shared/http/page-headers.js';
import { errorView } from '../../shared/portal/error-view.js';
import { decodeFaviconBase64, detectFaviconType, type Favicon } from '../../shared/portal/favicon.js';
import { ICON_NAMES } from '../../shared/portal/icon-names.js';
import { buildIconsScript, parseIconInclude } from '../../shared/portal/icons.js';
import {
  type AssetLinks,
  type ProviderButton,
  renderAuthenticatedPage,
  renderErrorPage,
  renderSigninPage,
} from '../../shared/portal/pages.js';
import { colorClass, PALETTES } from '../../shared/portal/palette.js';
import { cspOrigin, htmlResponse, pageCsp } from '../../shared/portal/security.js';
import { acceptsGzip, serveStatic } from '../../shared/portal/static.js';
import { STYLESHEET, stylesheetPath } from '../../shared/portal/styles.js';

const NONCE = '00112233445566778899aabbccddeeff';
const ASSETS: AssetLinks = { basePath: '' };

function button(over: Partial<ProviderButton> = {}): ProviderButton {
  return {
    name: 'github',
    displayName: 'GitHub',
    icon: 'github',
    color: 'emerald',
    href: 'https://auth.example.com/portals/main/providers/github?state=abc~def',
    ...over,
  };
}

function signin(over: Partial<Parameters<typeof renderSigninPage>[0]> = {}): string {
  return renderSigninPage({
    portalDisplayName: 'Example',
    providers: [button()],
    assets: ASSETS,
    backgrounds: {},
    nonce: NONCE,
    ...over,
  });
}

function authenticated(over: Partial<Parameters<typeof renderAuthenticatedPage>[0]> = {}): string {
  return renderAuthenticatedPage({
    portalDisplayName: 'Example',
    providerDisplayName: 'GitHub',
    user: 'alice',
    logoutAction: 'https://auth.example.com/portals/main/logout',
    assets: ASSETS,
    backgrounds: {},
    nonce: NONCE,
    ...over,
  });
}

function errorPage(over: Partial<Parameters<typeof renderErrorPage>[0]> = {}): string {
  return renderErrorPage({
    status: 404,
    message: 'Portal not found',
    view: { title: 'Not here', text: 'Gone.', action: { label: 'Start again', href: '/portals/main' } },
    requestId: 'req-1',
    assets: ASSETS,
    nonce: NONCE,
    ...over,
  });
}

/** Every `<tag` opening in the document, to prove no element was injected. */
function tags(html: string): string[] {
  return [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1] ?? '');
}

/** Every attribute name of every element, to prove no attribute was injected. */
function attributeNames(html: string): Set<string> {
  const names = new Set<string>();
  for (const tag of html.matchAll(/<[a-zA-Z][^>]*>/g)) {
    // Values are always double-quoted (and cannot contain a quote once escaped), so drop them before reading names.
    for (const a of tag[0].replace(/"[^"]*"/g, '""').matchAll(/\s([a-zA-Z-]+)/g)) names.add(a[1] ?? '');
  }
  return names;
}

const escaped = (v: string) =>
  v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  '" onfocus="alert(1)" autofocus="',
  '</title><script>alert(1)</script>',
  '&lt;already-escaped&gt; & ampersand',
  '{{ .Title }} <%= x %> `backtick`',
];

describe('escaping', () => {
  const baseline = {
    signin: tags(signin()),
    authenticated: tags(authenticated()),
    error: tags(errorPage()),
  };
  const allowedAttributes = new Set([
    'lang',
    'formaction',
    'charset',
    'name',
    'content',
    'rel',
    'href',
    'type',
    'nonce',
    'src',
    'class',
    'role',
    'viewBox',
    'fill',
    'aria-hidden',
    'focusable',
    'd',
    'data-icon',
    'method',
    'action',
    'sizes',
    'defer',
  ]);

  it.each(HOSTILE)('sign-in page escapes %s', (v) => {
    const out = signin({
      portalDisplayName: v,
      providers: [button({ displayName: v, icon: v, color: v, href: `https://a.example/p?x=${v}` })],
    });
    // The hostile icon is unknown, so the icon placeholder and icons.js are (rightly) gone; nothing else changes.
    const noIcons = (t: string[]) => t.filter((x) => x !== 'span' && x !== 'script');
    expect(noIcons(tags(out))).toEqual(noIcons(baseline.signin));
    expect(out).not.toContain('<script');
    for (const a of attributeNames(out)) expect(allowedAttributes).toContain(a);
    if (/[<>"']/.test(v)) expect(out).not.toContain(v);
    expect(out).toContain(`<title>${escaped(v)}</title>`);
    expect(out).toContain(`<h1>${escaped(v)}</h1>`);
    // The hostile icon name is not an icon, and the hostile colour falls back to the neutral palette.
    expect(out).not.toContain('data-icon=');
    expect(out).toContain('class="provider-button tfa-neutral"');
  });

  it.each(HOSTILE)('authenticated page escapes %s', (v) => {
    const out = authenticated({ portalDisplayName: v, providerDisplayName: v, user: v });
    expect(tags(out)).toEqual(baseline.authenticated);
    for (const a of attributeNames(out)) expect(allowedAttributes).toContain(a);
    expect(out).not.toContain('<script');
  });

  it.each(HOSTILE)('error page escapes %s', (v) => {
    const out = errorPage({ message: v, requestId: v, view: { title: v, text: v, action: { label: v, href: v } } });
    expect(tags(out)).toEqual(baseline.error);
    for (const a of attributeNames(out)) expect(allowedAttributes).toContain(a);
  });

  it('neutralises non-http hrefs and form actions', () => {
    expect(signin({ providers: [button({ href: 'javascript:alert(1)' })] })).toContain('href="#"');
    expect(signin({ providers: [button({ href: ' JAVASCRIPT:alert(1)' })] })).not.toMatch(/javascript:/i);
    expect(authenticated({ logoutAction: 'javascript:alert(1)' })).toContain('action="#"');
    expect(authenticated({ logoutAction: 'javascript:alert(1)' })).toContain('formaction="#"');
    expect(authenticated({ logoutAction: '/auth/portals/main/logout' })).toContain(
      'action="/auth/portals/main/logout"',
    );
  });

  it('keeps hostile background URLs inside the CSS string of the nonce style element', () => {
    const evil = 'https://cdn.example.com/a.png");}</style><script>alert(1)</script><style>x{("';
    const out = signin({ backgrounds: { medium: evil, large: "https://cdn.example.com/b.png?a='b'&c=(d)" } });
    expect(out).not.toContain('</style><script>');
    expect(tags(out).filter((t) => t === 'style')).toHaveLength(1);
    const style = /<style nonce="([^"]*)">([^<]*)<\/style>/.exec(out);
    expect(style?.[1]).toBe(NONCE);
    expect(style?.[2]).toContain('--bg-md:url("https://cdn.example.com/a.png\\22 \\29 ;\\7d \\3c /style\\3e ');
    expect(style?.[2]).toContain('--bg-lg:url("https://cdn.example.com/b.png?a=\\27 b\\27 &c=\\28 d\\29 ")');
  });

  it('uses no inline style attributes or inline event handlers anywhere', () => {
    for (const out of [signin({ logout: { message: 'Signed out.' } }), authenticated(), errorPage()]) {
      expect(out).not.toMatch(/\sstyle=/);
      expect(out).not.toMatch(/\son[a-z]+=/);
      // Every <script> and <style> element carries the nonce.
      for (const m of out.matchAll(/<(script|style)\b[^>]*>/g)) expect(m[0]).toContain(`nonce="${NONCE}"`);
    }
  });
});

describe('sign-in page', () => {
  const providers = [
    button({ name: 'pocketid', displayName: 'Pocket ID', icon: 'pocketid', color: 'zinc', href: 'https://a/p/1' }),
    button({ name: 'github', displayName: 'GitHub', icon: 'github', color: 'emerald', href: 'https://a/p/2?s=x&y=z' }),
    button({ name: 'corp', displayName: 'Corp SSO', icon: 'unknown', color: 'chartreuse', href: 'https://a/p/3' }),
    button({ name: 'gh2', displayName: 'GitHub 2', icon: 'github', color: 'Blue', href: 'https://a/p/4' }),
  ];

  it('has the portal name as lang-tagged title and heading, and one link per provider in order', () => {
    const out = signin({ portalDisplayName: 'My Portal', providers });
    expect(out).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(out).toContain('<title>My Portal</title>');
    expect(out).toContain('<h1>My Portal</h1>');
    const hrefs = [...out.matchAll(/<a class="provider-button [^"]*" href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(['https://a/p/1', 'https://a/p/2?s=x&amp;y=z', 'https://a/p/3', 'https://a/p/4']);
    const classes = [...out.matchAll(/<a class="provider-button ([^"]*)"/g)].map((m) => m[1]);
    expect(classes).toEqual(['tfa-zinc', 'tfa-emerald', 'tfa-neutral', 'tfa-blue']);
    expect(out).toContain('<span class="sr-only">Sign in with </span>Corp SSO');
  });

  it('requests only the icons in use, once each, with a nonce', () => {
    const out = signin({ providers });
    expect(out).toContain(`<script nonce="${NONCE}" src="/icons.js?include=pocketid,github" defer></script>`);
    expect([...out.matchAll(/data-icon="([^"]*)"/g)].map((m) => m[1])).toEqual(['pocketid', 'github', 'github']);
  });

  it('omits icons.js when no provider has a known icon', () => {
    expect(signin({ providers: [button({ icon: '' })] })).not.toContain('<script');
  });

  it('shows the signed-out banner only after a logout, in plain words', () => {
    const one = signin({ logout: { message: 'Signed out.' } });
    const several = signin({ logout: { message: 'Signed out on all devices (3 sessions).' }, providers });

    expect(one).toContain('<span>Signed out. You can sign back in with the button below.</span>');
    expect(one).toContain('role="status"');
    expect(several).toContain(
      '<span>Signed out on all devices (3 sessions). You can sign back in with one of the buttons below.</span>',
    );
    expect(signin()).not.toContain('Signed out');
  });

  it('offers to sign out at the provider too, as a link to its end-session endpoint', () => {
    const href = 'https://id.example.com/api/oidc/end-session?client_id=c&state=pocketid';

    const out = signin({ logout: { message: 'Signed out.', offer: { providerDisplayName: 'Pocket ID', href } } });

    expect(out).toContain('You may still be signed in at Pocket ID, which would sign you straight back in here.');
    expect(out).toContain(
      '<a class="link-button" href="https://id.example.com/api/oidc/end-session?client_id=c&amp;state=pocketid">Sign out of Pocket ID too</a>',
    );
    expect(signin({ logout: { message: 'Signed out.' } })).not.toContain('Sign out of');
  });

  it('links the hashed stylesheet, icons and favicon under basePath', () => {
    const out = signin({ assets: { basePath: '/auth', favicon: 'png' } });
    expect(out).toContain(`<link rel="stylesheet" href="/auth${stylesheetPath}">`);
    expect(out).toContain('src="/auth/icons.js?include=github"');
    expect(out).toContain('<link rel="icon" href="/auth/favicon.png" type="image/png">');
    expect(signin({ assets: { basePath: '/', favicon: 'svg' } })).toContain(
      '<link rel="icon" href="/favicon.svg" type="image/svg+xml" sizes="any">',
    );
    expect(signin({ assets: { basePath: '/' } })).toContain(`href="${stylesheetPath}"`);
    expect(signin()).not.toContain('rel="icon"');
  });

  it('overrides the background variables only for configured backgrounds', () => {
    expect(signin()).not.toContain('<style');
    const out = signin({ backgrounds: { large: 'https://cdn.example.com/l.webp' } });
    expect(out).toContain(`<style nonce="${NONCE}">:root{--bg-lg:url("https://cdn.example.com/l.webp");}</style>`);
  });
});

describe('authenticated page', () => {
  it('names the provider and user and posts the Log out form to logoutAction', () => {
    const out = authenticated({ portalDisplayName: 'Portal X', providerDisplayName: 'Pocket ID', user: 'bob@x' });
    expect(out).toContain('<title>Portal X</title>');
    expect(out).toContain('<h1>Portal X</h1>');
    expect(out).toContain(
      "You're authenticated with provider <b><code>Pocket ID</code></b> as <b><code>bob@x</code></b>.",
    );
    expect(out).toMatch(
      /<form class="logout" method="post" action="https:\/\/auth\.example\.com\/portals\/main\/logout">\s*<button class="button" type="submit"><span class="button-inner">Log out<\/span><\/button>\s*<button class="link-button" type="submit" formaction="https:\/\/auth\.example\.com\/portals\/main\/logout\?everywhere=1">Log out on all devices<\/button>\s*<\/form>/,
    );
    expect(out).not.toContain('<script');
  });
});

describe('error page', () => {
  it('says what happened in plain words, offers the next step, and keeps status, message and request ID small', () => {
    const out = errorPage({
      status: 401,
      message: 'State cookie not found',
      requestId: 'abc-123',
      view: errorView({
        status: 401,
        hint: { returnUrl: 'https://app.example.com/x' },
        startPath: '/portals/main/profile',
      }),
    });
    expect(out).toContain('<title>This sign-in link was already used or has expired</title>');
    expect(out).toContain('<h1>This sign-in link was already used or has expired</h1>');
    expect(out).toMatch(
      /<a class="provider-button tfa-indigo" href="https:\/\/app\.example\.com\/x"><span class="provider-button-inner">Start again<\/span><\/a>/,
    );
    expect(out).toContain(
      '<p class="request-id">Error 401: State cookie not found<br>Request ID: <code>abc-123</code></p>',
    );
    expect(out).not.toContain('Unauthorized');
  });

  it('renders no button when there is no next step', () => {
    expect(errorPage({ view: { title: 'x', text: 'y' } })).not.toContain('<a ');
  });
});

describe('errorView', () => {
  const app = 'https://app.example.com/reports';
  const startPath = '/portals/main/profile';
  it.each([
    [424, { reason: 'cancelled', provider: 'Pocket ID', returnUrl: app }, 'Sign-in was cancelled', 'Try again', app],
    [424, { reason: 'cancelled' }, 'Sign-in was cancelled', 'Try again', startPath],
    [424, { reason: 'provider-error', provider: 'Google' }, 'Google could not sign you in', 'Try again', startPath],
    [
      424,
      { reason: 'client-rejected', provider: 'Google' },
      'Google did not accept this sign-in service',
      'Try again',
      startPath,
    ],
    [401, { returnUrl: app }, 'This sign-in link was already used or has expired', 'Start again', app],
    [400, {}, 'This sign-in link is not valid', 'Start again', startPath],
    [502, { provider: 'Pocket ID', returnUrl: app }, 'Pocket ID could not be reached', 'Try again', app],
    [502, {}, 'The identity provider could not be reached', 'Try again', startPath],
    [503, {}, 'Sign-in is unavailable for a moment', 'Try again', startPath],
    [500, {}, 'Something went wrong on our side', 'Start again', startPath],
    [403, {}, 'This request was refused', 'Start again', startPath],
    [404, { reason: 'no-provider' }, 'This way of signing in is not offered', 'Choose how to sign in', startPath],
  ] as const)('%i %j → "%s" with "%s"', (status, hint, title, label, href) => {
    const view = errorView({ status, hint, startPath });
    expect(view.title).toBe(title);
    expect(view.action).toEqual({ label, href });
  });

  it('sends an unknown portal to the default portal when there is one, and offers nothing otherwise', () => {
    const hint = { reason: 'no-portal' } as const;
    expect(errorView({ status: 404, hint, homePath: '/' }).action).toEqual({
      label: 'Go to the sign-in page',
      href: '/',
    });
    expect(errorView({ status: 404, hint }).action).toBeUndefined();
  });
});

describe('htmlResponse', () => {
  const base = `default-src 'none'; script-src 'nonce-${NONCE}'; style-src 'self' 'nonce-${NONCE}'; img-src 'self'`;
  const tail = "; font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

  it('sets the security headers with the exact CSP', async () => {
    const res = htmlResponse('<p>x</p>', { nonce: NONCE });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(base + tail);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('permissions-policy')).toBe('interest-cohort=()');
    expect(res.headers.get('x-robots-tag')).toBe('noindex, nofollow');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toBe('<p>x</p>');
  });

  it.each([
    [{}, ''],
    [{ large: 'https://cdn.example.com/large-bg.jpg' }, ' https://cdn.example.com'],
    [{ medium: 'https://images.example.com/medium-bg.jpg' }, ' https://images.example.com'],
    [{ large: 'https://cdn.example.com/l.jpg', medium: 'https://cdn.example.com/m.jpg' }, ' https://cdn.example.com'],
    [
      { large: 'https://cdn1.example.com/l.jpg', medium: 'https://cdn2.example.com/m.jpg' },
      ' https://cdn1.example.com https://cdn2.example.com',
    ],
    [
      { large: 'http://cdn1.example.com/l.jpg', medium: 'http://cdn2.example.com/m.jpg' },
      ' cdn1.example.com cdn2.example.com',
    ],
    [
      { large: 'https://cdn1.example.com/l.jpg', medium: 'http://cdn2.example.com/m.jpg' },
      ' https://cdn1.example.com cdn2.example.com',
    ],
    [
      { large: 'https://cdn.example.com:8443/l.jpg', medium: 'https://cdn.example.com:9443/m.jpg' },
      ' https://cdn.example.com:8443 https://cdn.example.com:9443',
    ],
    [{ large: '/images/large.jpg', medium: '/images/medium.jpg' }, ''],
    [{ large: 'https://cdn.example.com/l.jpg?width=1920&height=1080' }, ' https://cdn.example.com'],
  ])('img-src for backgrounds %o', (backgrounds, extra) => {
    expect(htmlResponse('', { nonce: NONCE, backgrounds }).headers.get('content-security-policy')).toBe(
      base + extra + tail,
    );
    expect(pageCsp(NONCE, backgrounds)).toBe(base + extra + tail);
  });

  it('applies status and extra headers, appending Set-Cookie', () => {
    const headers = new Headers([
      ['Set-Cookie', 'a=1; Path=/'],
      ['Set-Cookie', 'b=2; Path=/'],
      ['X-Request-Id', 'r1'],
    ]);
    const res = htmlResponse('', { status: 401, nonce: NONCE, headers });
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(res.headers.get('x-request-id')).toBe('r1');
  });

  it('makes a fresh 16-byte hex nonce each time', () => {
    const a = newNonce();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newNonce()).not.toBe(a);
  });
});

describe('cspOrigin', () => {
  it.each([
    ['https://example.com/path/to/image.jpg', 'https://example.com'],
    ['https://cdn.example.com:8443/images/bg.png', 'https://cdn.example.com:8443'],
    ['http://example.com/image.jpg', 'example.com'],
    ['http://localhost:8080/bg.jpg', 'localhost:8080'],
    ['https://cdn.example.com/image.jpg?size=large&quality=high', 'https://cdn.example.com'],
    ['https://example.com/path#fragment', 'https://example.com'],
    ['https://static.cdn.example.com/bg.jpg', 'https://static.cdn.example.com'],
    ['', ''],
    ['/path/to/image.jpg', ''],
    ['img/bg.png', ''],
    ['https://192.168.1.100/image.jpg', 'https://192.168.1.100'],
    ['https://[2001:db8::1]/image.jpg', 'https://[2001:db8::1]'],
    ['http://[::1]:8080/image.jpg', '[::1]:8080'],
    ['//cdn.example.com/x.png', 'cdn.example.com'],
    ['data:image/png;base64,AAAA', ''],
    ['https://', ''],
  ])('%s → %s', (url, want) => {
    expect(cspOrigin(url)).toBe(want);
  });
});

describe('favicon', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  const ico = Uint8Array.from([0, 0, 1, 0, 1, 0, 16, 16]);
  const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>');

  it.each([
    ['unpadded (len % 3 = 1)', 'YQ', [0x61]],
    ['unpadded (len % 3 = 2)', 'YWI', [0x61, 0x62]],
    ['no padding needed', 'YWJj', [0x61, 0x62, 0x63]],
    ['padded ==', 'YQ==', [0x61]],
    ['padded =', 'YWI=', [0x61, 0x62]],
    ['whitespace and newlines', ' YW\n Jj\tZA \r\n', [0x61, 0x62, 0x63, 0x64]],
    ['standard alphabet', '+/8', [0xfb, 0xff]],
    ['URL alphabet', '-_8', [0xfb, 0xff]],
  ])('decodes %s', (_name, input, want) => {
    expect(decodeFaviconBase64(input)).toEqual(Uint8Array.from(want));
  });

  it.each([
    ['empty', ''],
    ['only whitespace', '  \n '],
    ['invalid characters', 'YW*j'],
    ['impossible length', 'YWJjZ'],
    ['padding in the middle', 'YQ==YQ=='],
    ['too much padding', 'Y==='],
    ['padding with a wrong length', 'YWI=='],
    ['a URL', 'https://example.com/favicon.png'],
  ])('rejects %s', (_name, input) => {
    expect(decodeFaviconBase64(input)).toBeUndefined();
  });

  it('round-trips real bytes in both alphabets', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
    const b = Buffer.from(bytes);
    expect(decodeFaviconBase64(b.toString('base64'))).toEqual(bytes);
    expect(decodeFaviconBase64(b.toString('base64url'))).toEqual(bytes);
    expect(decodeFaviconBase64(b.toString('base64').replace(/=+$/, ''))).toEqual(bytes);
  });

  it.each([
    ['PNG', png, 'png'],
    ['ICO', ico, 'ico'],
    ['SVG', svg, 'svg'],
    [
      'SVG with XML prolog, BOM and comment',
      new TextEncoder().encode(
        '\uFEFF<?xml version="1.0"?>\n<!-- x -->\n<!DOCTYPE svg>\n<SVG viewBox="0 0 1 1"></SVG>',
      ),
      'svg',
    ],
    ['GIF', new TextEncoder().encode('GIF89a....'), undefined],
    ['JPEG', Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]), undefined],
    ['HTML', new TextEncoder().encode('<!DOCTYPE html><html><svg></svg></html>'), undefined],
    ['truncated PNG', png.subarray(0, 4), undefined],
    ['empty', new Uint8Array(0), undefined],
  ])('detects %s', (_name, bytes, want) => {
    expect(detectFaviconType(bytes)).toBe(want);
  });
});

describe('icons', () => {
  it('parses include lists: known names only, deduplicated, all when absent or empty', () => {
    expect(parseIconInclude(null)).toEqual([...ICON_NAMES]);
    expect(parseIconInclude('')).toEqual([...ICON_NAMES]);
    expect(parseIconInclude('github, google,nope,github')).toEqual(['github', 'google']);
    expect(parseIconInclude('nope')).toEqual([]);
  });

  it('builds a script that parses and has a path for every icon', () => {
    const src = buildIconsScript(ICON_NAMES);
    expect(() => new Function(src)).not.toThrow();
    const data = JSON.parse(/var I=(\{.*?\});var N=/.exec(src)?.[1] ?? 'null') as Record<string, { p: string[] }>;
    expect(Object.keys(data)).toEqual([...ICON_NAMES]);
    for (const icon of Object.values(data)) {
      expect(icon.p.length).toBeGreaterThan(0);
      for (const d of icon.p) expect(d).toMatch(/^[Mm][-0-9.,\sA-Za-z]+$/);
    }
  });

  it('maps every palette name to its class and anything else to neutral', () => {
    expect(Object.keys(PALETTES)).toHaveLength(22);
    for (const name of Object.keys(PALETTES)) {
      expect(colorClass(name)).toBe(`tfa-${name}`);
      expect(STYLESHEET).toContain(`.tfa-${name}{`);
    }
    expect(colorClass('constructor')).toBe('tfa-neutral');
    expect(colorClass('')).toBe('tfa-neutral');
  });
});

describe('serveStatic', () => {
  const opts = { basePath: '', disableClientCache: false };
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    new Request(`https://auth.example.com${path}`, { method, headers });

  it('has a content-hashed stylesheet path', () => {
    const hash = createHash('sha256').update(STYLESHEET).digest('hex').slice(0, 8);
    expect(stylesheetPath).toBe(`/style.${hash}.css`);
  });

  it('serves the stylesheet gzipped only when accepted, always with Vary', async () => {
    const plain = serveStatic(get(stylesheetPath, { 'accept-encoding': 'identity' }), opts);
    expect(plain?.status).toBe(200);
    expect(plain?.headers.get('content-type')).toBe('text/css');
    expect(plain?.headers.get('vary')).toBe('Accept-Encoding');
    expect(plain?.headers.get('content-encoding')).toBeNull();
    expect(await plain?.text()).toBe(STYLESHEET);

    const gz = serveStatic(get(stylesheetPath, { 'accept-encoding': 'gzip, deflate, br' }), opts);
    expect(gz?.headers.get('content-encoding')).toBe('gzip');
    expect(gz?.headers.get('vary')).toBe('Accept-Encoding');
    const body = new Uint8Array(await (gz as Response).arrayBuffer());
    expect(gz?.headers.get('content-length')).toBe(String(body.byteLength));
    expect(gunzipSync(body).toString('utf8')).toBe(STYLESHEET);
  });

  it.each([
    [null, false],
    ['', false],
    ['gzip', true],
    ['GZIP', true],
    ['gzip;q=0.8', true],
    ['gzip ;q=0.8', true],
    ['deflate, gzip;q=0.5', true],
    [' gzip ', true],
    ['deflate,\tgzip', true],
    ['gzip;q=0', false],
    ['br', false],
    ['x-gzip', false],
    ['gzipper', false],
    ['gzi', false],
  ])('Accept-Encoding %j → gzip %s', (header, want) => {
    expect(acceptsGzip(header)).toBe(want);
  });

  it('serves icons.js with only the requested icons', async () => {
    const all = await serveStatic(get('/icons.js'), opts)?.text();
    for (const name of ICON_NAMES) expect(all).toContain(`"${name}":`);

    const res = serveStatic(get('/icons.js?include=github,google,nope'), opts);
    expect(res?.headers.get('content-type')).toBe('application/javascript');
    expect(res?.headers.get('vary')).toBe('Accept-Encoding');
    const some = await res?.text();
    expect(some).toContain('"github":');
    expect(some).toContain('"google":');
    expect(some).not.toContain('"apple":');
    expect(some).not.toContain('"firefox":');
    expect(some).toContain('data-icon');

    const gz = serveStatic(get('/icons.js?include=github', { 'accept-encoding': 'gzip' }), opts);
    expect(gz?.headers.get('content-encoding')).toBe('gzip');
    const js = gunzipSync(new Uint8Array(await (gz as Response).arrayBuffer())).toString('utf8');
    expect(js).toContain('"github":');
    expect(js).not.toContain('"google":');
  });

  it('sets long-lived cache headers and answers 304 for If-Modified-Since at or after load time', () => {
    const res = serveStatic(get(stylesheetPath), opts);
    expect(res?.headers.get('cache-control')).toBe('public, max-age=2592000');
    const lastModified = res?.headers.get('last-modified') ?? '';
    expect(Date.parse(lastModified)).not.toBeNaN();

    const same = serveStatic(get(stylesheetPath, { 'if-modified-since': lastModified }), opts);
    expect(same?.status).toBe(304);
    expect(same?.body).toBeNull();
    expect(same?.headers.get('cache-control')).toBe('public, max-age=2592000');

    const later = new Date(Date.parse(lastModified) + 60_000).toUTCString();
    expect(serveStatic(get('/icons.js', { 'if-modified-since': later }), opts)?.status).toBe(304);

    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect(serveStatic(get(stylesheetPath, { 'if-modified-since': earlier }), opts)?.status).toBe(200);
    expect(serveStatic(get(stylesheetPath, { 'if-modified-since': 'garbage' }), opts)?.status).toBe(200);
  });

  it('disables client caching on request', () => {
    const o = { basePath: '', disableClientCache: true };
    const res = serveStatic(get(stylesheetPath), o);
    expect(res?.headers.get('cache-control')).toBe('no-cache');
    expect(res?.headers.get('last-modified')).toBeNull();
    const far = new Date(Date.now() + 86_400_000).toUTCString();
    expect(serveStatic(get(stylesheetPath, { 'if-modified-since': far }), o)?.status).toBe(200);
  });

  it('honours basePath', () => {
    const o = { basePath: '/auth', disableClientCache: false };
    expect(serveStatic(get(`/auth${stylesheetPath}`), o)?.status).toBe(200);
    expect(serveStatic(get('/auth/icons.js'), o)?.status).toBe(200);
    expect(serveStatic(get('/auth/img/background.svg'), o)?.status).toBe(200);
    expect(serveStatic(get(stylesheetPath), o)).toBeUndefined();
    expect(serveStatic(get('/icons.js'), o)).toBeUndefined();
    expect(serveStatic(get(`/authx${stylesheetPath}`), o)).toBeUndefined();
    expect(serveStatic(get(stylesheetPath), { basePath: '/', disableClientCache: false })?.status).toBe(200);
  });

  it('returns undefined for anything that is not a static asset', () => {
    for (const path of [
      '/',
      '/style.css',
      '/style.00000000.css',
      '/icons.json',
      '/img/',
      '/img/nope.png',
      '/favicon.png',
      '/portals/main',
    ]) {
      expect(serveStatic(get(path), opts), path).toBeUndefined();
    }
    expect(serveStatic(get(stylesheetPath, {}, 'POST'), opts)).toBeUndefined();
  });

  it('serves bundled images and answers HEAD without a body', async () => {
    const res = serveStatic(get('/img/background.svg'), opts);
    expect(res?.headers.get('content-type')).toBe('image/svg+xml');
    expect(res?.headers.get('content-security-policy')).toContain('sandbox');
    expect(await res?.text()).toMatch(/^<svg /);
    const head = serveStatic(get('/img/background.svg', {}, 'HEAD'), opts);
    expect(head?.status).toBe(200);
    expect(head?.body).toBeNull();
    expect(Number(head?.headers.get('content-length'))).toBeGreaterThan(0);
  });

  it('serves the configured favicon at its own extension only', async () => {
    const favicon: Favicon = { type: 'ico', body: Uint8Array.from([0, 0, 1, 0, 1, 0]) };
    const o = { basePath: '/auth', disableClientCache: false, favicon };
    const res = serveStatic(get('/auth/favicon.ico'), o);
    expect(res?.status).toBe(200);
    expect(res?.headers.get('content-type')).toBe('image/x-icon');
    expect(res?.headers.get('cache-control')).toBe('public, max-age=2592000');
    expect(new Uint8Array(await (res as Response).arrayBuffer())).toEqual(favicon.body);
    expect(serveStatic(get('/auth/favicon.png'), o)).toBeUndefined();
    expect(serveStatic(get('/favicon.ico'), o)).toBeUndefined();
  });

  it('answers /favicon.ico with an empty, cacheable 204 when no ICO favicon is configured (not a 404 per page view)', () => {
    const png: Favicon = { type: 'png', body: Uint8Array.from([0x89, 0x50, 0x4e, 0x47]) };
    for (const o of [opts, { ...opts, basePath: '/auth' }, { ...opts, favicon: png }]) {
      const res = serveStatic(get(`${o.basePath}/favicon.ico`), o);
      expect(res?.status, o.basePath).toBe(204);
      expect(res?.headers.get('cache-control')).toBe('public, max-age=86400');
      expect(res?.body).toBeNull();
    }
  });
});
