/**
 * Renders sample portal pages and their assets, for looking at the UI without running the auth flow.
 *
 *   npx tsx scripts/render-pages.ts <outdir>            write the pages + assets as files (open them via file://)
 *   npx tsx scripts/render-pages.ts <outdir> --serve [port]
 *                                                        also serve them on 127.0.0.1 with the real headers (CSP
 *                                                        included, basePath /auth), printing the URLs
 *
 * The files use basePath "." so the relative asset links work from disk; served pages use real routes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { newNonce } from '../shared/http/page-headers.js';
import { errorView } from '../shared/portal/error-view.js';
import { type Favicon, faviconFromBase64 } from '../shared/portal/favicon.js';
import { ICON_NAMES } from '../shared/portal/icon-names.js';
import { buildIconsScript } from '../shared/portal/icons.js';
import { IMAGES } from '../shared/portal/images.js';
import {
  type AssetLinks,
  type Backgrounds,
  type ProviderButton,
  renderAuthenticatedPage,
  renderErrorPage,
  renderSigninPage,
} from '../shared/portal/pages.js';
import { PALETTES } from '../shared/portal/palette.js';
import { htmlResponse } from '../shared/portal/security.js';
import { serveStatic } from '../shared/portal/static.js';
import { STYLESHEET, stylesheetPath } from '../shared/portal/styles.js';

// A 16×16 SVG favicon given in the option's base64 form, to exercise decoding and the favicon link.
const FAVICON_B64 = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="#4f46e5"/>' +
    '<path d="M5 8.5l2 2 4-5" stroke="#fff" stroke-width="2" fill="none"/></svg>',
).toString('base64url');

function loadFavicon(): Favicon {
  const favicon = faviconFromBase64(FAVICON_B64);
  if (!favicon) throw new Error('sample favicon did not decode');
  return favicon;
}

const STATE = 'AbCdEfGhIjK~0123456789abcdef';

function providers(portalUri: string, list: [name: string, display: string, icon: string, color: string][]) {
  return list.map(
    ([name, displayName, icon, color]): ProviderButton => ({
      name,
      displayName,
      icon,
      color,
      href: `${portalUri}/providers/${name}?state=${STATE}`,
    }),
  );
}

interface Sample {
  file: string;
  route: string;
  status?: number;
  /** Background URLs, given the origin the page is served from. */
  backgrounds?: (origin: string) => Backgrounds;
  render: (assets: AssetLinks, nonce: string, portalUri: string, backgrounds: Backgrounds) => string;
}

const SAMPLES: Sample[] = [
  {
    file: 'signin.html',
    route: '/portals/main/signin',
    render: (assets, nonce, portalUri) =>
      renderSigninPage({
        portalDisplayName: 'Example Corp',
        providers: providers(portalUri, [
          ['pocketid', 'Pocket ID', 'pocketid', 'zinc'],
          ['github', 'GitHub', 'github', 'emerald'],
          ['google', 'Google', 'google', 'yellow'],
          ['microsoftentraid', 'Microsoft Entra ID', 'microsoft', 'cyan'],
          ['openidconnect', 'OpenID Connect', 'openid', 'pink'],
        ]),
        assets,
        backgrounds: {},
        nonce,
      }),
  },
  {
    file: 'signin-logout.html',
    route: '/portals/main/signin-logout',
    render: (assets, nonce, portalUri) =>
      renderSigninPage({
        portalDisplayName: 'Example Corp',
        providers: providers(portalUri, [['pocketid', 'Pocket ID', 'pocketid', 'zinc']]),
        logout: { message: 'Signed out.' },
        assets,
        backgrounds: {},
        nonce,
      }),
  },
  {
    file: 'signin-all.html',
    route: '/portals/all/signin',
    render: (assets, nonce, portalUri) => {
      const colors = Object.keys(PALETTES);
      const list: [string, string, string, string][] = ICON_NAMES.map((icon, i) => [
        icon,
        `${icon} (${colors[i % colors.length] ?? 'neutral'})`,
        icon,
        colors[i % colors.length] ?? 'neutral',
      ]);
      list.push(['custom', 'Unknown icon and colour', 'nope', 'chartreuse']);
      return renderSigninPage({
        portalDisplayName: 'All icons and palettes',
        providers: providers(portalUri, list),
        assets,
        backgrounds: {},
        nonce,
      });
    },
  },
  {
    file: 'signin-custom-bg.html',
    route: '/portals/custom/signin',
    // Served from the same server but named by absolute URL, so the CSP must list its origin in img-src.
    backgrounds: (origin) => ({
      medium: `${origin}/auth/img/background.svg?md`,
      large: `${origin}/auth/img/background.svg?lg`,
    }),
    render: (assets, nonce, portalUri, backgrounds) =>
      renderSigninPage({
        portalDisplayName: 'Custom background',
        providers: providers(portalUri, [['github', 'GitHub', 'github', 'violet']]),
        assets,
        backgrounds,
        nonce,
      }),
  },
  {
    file: 'authenticated.html',
    route: '/portals/main',
    render: (assets, nonce, portalUri) =>
      renderAuthenticatedPage({
        portalDisplayName: 'Example Corp',
        providerDisplayName: 'Pocket ID',
        user: 'alice@example.com',
        logoutAction: `${portalUri}/logout`,
        assets,
        backgrounds: {},
        nonce,
      }),
  },
  {
    file: 'error.html',
    route: '/portals/main/error',
    status: 401,
    render: (assets, nonce, portalUri) =>
      renderErrorPage({
        status: 401,
        message: 'State cookie not found',
        view: errorView({ status: 401, hint: {}, startPath: `${portalUri}/profile` }),
        requestId: '3f1c2a9e-7b4d-4e8a-9c61-0d5f2b8e4a17',
        assets,
        nonce,
      }),
  },
  {
    file: 'hostile.html',
    route: '/portals/hostile/signin',
    render: (assets, nonce, portalUri) =>
      renderSigninPage({
        portalDisplayName: `<script>alert("title")</script> & 'quotes'`,
        providers: [
          {
            name: 'x',
            displayName: '<img src=x onerror=alert(1)>"\'',
            icon: '"><script>alert(2)</script>',
            color: 'red" onmouseover="alert(3)',
            href: `${portalUri}/providers/x?state=a"b<c>`,
          },
          { name: 'y', displayName: 'javascript: href', icon: 'github', color: 'blue', href: 'javascript:alert(4)' },
        ],
        logout: { message: 'Signed out.' },
        assets,
        backgrounds: {},
        nonce,
      }),
  },
];

function writeFiles(outDir: string): void {
  mkdirSync(join(outDir, 'img'), { recursive: true });
  const assets: AssetLinks = { basePath: '.', favicon: 'svg' };
  for (const s of SAMPLES) {
    // On disk the custom backgrounds would point nowhere; those pages fall back to the bundled one.
    writeFileSync(join(outDir, s.file), s.render(assets, newNonce(), 'https://auth.example.com/portals/main', {}));
  }
  writeFileSync(join(outDir, stylesheetPath.slice(1)), STYLESHEET);
  writeFileSync(join(outDir, 'icons.js'), buildIconsScript(ICON_NAMES));
  for (const [name, img] of IMAGES) writeFileSync(join(outDir, 'img', name), img.body);
  writeFileSync(join(outDir, 'favicon.svg'), loadFavicon().body);
  console.log(`wrote ${SAMPLES.length} pages and assets to ${outDir}`);
}

function serve(port: number): void {
  const basePath = '/auth';
  const favicon = loadFavicon();
  const server = createServer((nodeReq, nodeRes) => {
    void (async () => {
      const origin = `http://127.0.0.1:${port}`;
      const headers = new Headers();
      for (const [k, v] of Object.entries(nodeReq.headers)) if (typeof v === 'string') headers.set(k, v);
      const req = new Request(new URL(nodeReq.url ?? '/', origin), { method: nodeReq.method ?? 'GET', headers });
      const path = new URL(req.url).pathname;
      let res = serveStatic(req, { basePath, disableClientCache: false, favicon });
      if (!res) {
        const sample = SAMPLES.find((s) => `${basePath}${s.route}` === path);
        if (sample) {
          const nonce = newNonce();
          const assets: AssetLinks = { basePath, favicon: favicon.type };
          const backgrounds = sample.backgrounds?.(origin) ?? {};
          const portalUri = `${origin}${basePath}/portals/${sample.route.split('/')[2] ?? ''}`;
          const html = sample.render(assets, nonce, portalUri, backgrounds);
          res = htmlResponse(html, { status: sample.status, nonce, backgrounds });
        } else if (req.method === 'POST') {
          res = new Response('logged out (demo)\n', { headers: { 'Content-Type': 'text/plain' } });
        } else {
          res = new Response('404 page not found\n', { status: 404, headers: { 'Content-Type': 'text/plain' } });
        }
      }
      nodeRes.writeHead(res.status, Object.fromEntries(res.headers));
      nodeRes.end(Buffer.from(await res.arrayBuffer()));
    })();
  });
  server.listen(port, '127.0.0.1', () => {
    for (const s of SAMPLES) console.log(`http://127.0.0.1:${port}${basePath}${s.route}`);
  });
}

const [outDir, flag, portArg] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: npx tsx scripts/render-pages.ts <outdir> [--serve [port]]');
  process.exit(2);
}
writeFiles(outDir);
if (flag === '--serve') serve(Number(portArg ?? 8089));
