/**
 * The portal's static assets (upstream `static.go`): the hashed stylesheet, `icons.js`, bundled images and the
 * configured favicon, with upstream's cache headers. Everything is in memory; gzip variants are computed on first use.
 */
import { gzipSync } from 'node:zlib';
import type { Favicon } from './favicon.js';
import { FAVICON_CONTENT_TYPES } from './favicon.js';
import { buildIconsScript, parseIconInclude } from './icons.js';
import { IMAGES } from './images.js';
import { STYLESHEET, stylesheetPath } from './styles.js';

export type { Favicon } from './favicon.js';
export { stylesheetPath } from './styles.js';

/** 30 days, as upstream. */
const MAX_AGE_SECONDS = 30 * 86400;

// Upstream uses the process start time as Last-Modified (embedded files have none). HTTP dates have 1 s resolution,
// so truncate: a browser echoing our Last-Modified back must compare as "not modified".
const LOADED_AT_MS = Math.floor(Date.now() / 1000) * 1000;
const LAST_MODIFIED = new Date(LOADED_AT_MS).toUTCString();

// SVGs are documents: if one is opened directly it must not run script or load anything.
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

interface Asset {
  type: string;
  body: Uint8Array;
  /** Present when the asset has a gzip variant (then responses also carry `Vary: Accept-Encoding`). */
  gzip?: () => Uint8Array;
}

function lazyGzip(body: Uint8Array): () => Uint8Array {
  let gz: Uint8Array | undefined;
  return () => {
    gz ??= new Uint8Array(gzipSync(body, { level: 9 }));
    return gz;
  };
}

const encoder = new TextEncoder();
const stylesheetBody = encoder.encode(STYLESHEET);
const stylesheetAsset: Asset = { type: 'text/css', body: stylesheetBody, gzip: lazyGzip(stylesheetBody) };

// icons.js variants by normalised include list. The key space is bounded by the known icon names, but bound the
// cache too so arbitrary `include` combinations cannot grow it without limit.
const ICONS_CACHE_MAX = 64;
const iconsCache = new Map<string, Asset>();

function iconsAsset(include: string | null): Asset {
  const names = parseIconInclude(include);
  const key = names.join(',');
  let asset = iconsCache.get(key);
  if (!asset) {
    const body = encoder.encode(buildIconsScript(names));
    asset = { type: 'application/javascript', body, gzip: lazyGzip(body) };
    if (iconsCache.size >= ICONS_CACHE_MAX) {
      const oldest = iconsCache.keys().next();
      if (!oldest.done) iconsCache.delete(oldest.value);
    }
    iconsCache.set(key, asset);
  }
  return asset;
}

/**
 * Whether an `Accept-Encoding` value accepts gzip: a `gzip` token (case-insensitive, parameters and whitespace
 * allowed, `x-gzip`/`gzipper` are not gzip), unless its quality is 0.
 */
export function acceptsGzip(header: string | null): boolean {
  if (!header) return false;
  for (const item of header.split(',')) {
    const [token = '', ...params] = item.split(';').map((s) => s.trim());
    if (token.toLowerCase() !== 'gzip') continue;
    const q = params.find((p) => /^q\s*=/i.test(p));
    if (q !== undefined && Number(q.replace(/^q\s*=\s*/i, '')) === 0) return false;
    return true;
  }
  return false;
}

/** How long browsers may remember that there is no `/favicon.ico` (a day: a favicon configured later shows soon). */
const NO_FAVICON_MAX_AGE = 86_400;

function findAsset(path: string, query: URLSearchParams, favicon: Favicon | undefined): Asset | undefined {
  if (path === stylesheetPath) return stylesheetAsset;
  if (path === '/icons.js') return iconsAsset(query.get('include'));
  if (path.startsWith('/img/')) return IMAGES.get(path.slice('/img/'.length));
  if (favicon && path === `/favicon.${favicon.type}`) {
    return { type: FAVICON_CONTENT_TYPES[favicon.type], body: favicon.body };
  }
  return undefined;
}

function isNotModified(req: Request): boolean {
  const ims = req.headers.get('if-modified-since');
  if (!ims) return false;
  const t = Date.parse(ims);
  return !Number.isNaN(t) && t >= LOADED_AT_MS;
}

/**
 * Serves a static asset, or returns undefined when the request is not for one (so the caller falls through to its
 * other routes). Recognised below `basePath` (GET and HEAD only):
 * - `/style.<hash>.css` ({@link stylesheetPath}): `text/css`, gzip when `Accept-Encoding` allows, `Vary: Accept-Encoding`;
 * - `/icons.js[?include=a,b]`: `application/javascript` drawing only the listed icons (all when absent), gzip as above;
 * - `/img/<name>`: bundled images;
 * - `/favicon.<type>`: the configured favicon, at the extension of its type only; `/favicon.ico` without one is an
 *   empty 204 that browsers may cache for a day.
 *
 * Cache headers: `Cache-Control: public, max-age=2592000` and `Last-Modified` = module load time, with 304 when
 * `If-Modified-Since` is at or after it; with `disableClientCache`, `Cache-Control: no-cache` and never 304.
 */
export function serveStatic(
  req: Request,
  o: { basePath: string; disableClientCache: boolean; favicon?: Favicon },
): Response | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const url = new URL(req.url);
  const base = o.basePath.replace(/\/+$/, '');
  if (!url.pathname.startsWith(`${base}/`)) return undefined;
  const path = url.pathname.slice(base.length);
  const asset = findAsset(path, url.searchParams, o.favicon);
  // Browsers ask for /favicon.ico on every origin, and without a favicon each page view was a 404 and a WARN line.
  if (!asset && path === '/favicon.ico')
    return new Response(null, { status: 204, headers: { 'Cache-Control': `public, max-age=${NO_FAVICON_MAX_AGE}` } });
  if (!asset) return undefined;

  const headers = new Headers();
  if (asset.gzip) headers.set('Vary', 'Accept-Encoding');
  if (o.disableClientCache) {
    headers.set('Cache-Control', 'no-cache');
  } else {
    headers.set('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`);
    headers.set('Last-Modified', LAST_MODIFIED);
    if (isNotModified(req)) return new Response(null, { status: 304, headers });
  }

  headers.set('Content-Type', asset.type);
  headers.set('X-Content-Type-Options', 'nosniff');
  if (asset.type === 'image/svg+xml') headers.set('Content-Security-Policy', SVG_CSP);
  let body = asset.body;
  if (asset.gzip && acceptsGzip(req.headers.get('accept-encoding'))) {
    body = asset.gzip();
    headers.set('Content-Encoding', 'gzip');
  }
  headers.set('Content-Length', String(body.byteLength));
  return new Response(req.method === 'HEAD' ? null : body, { status: 200, headers });
}
