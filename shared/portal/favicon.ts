/**
 * The `server.favicon` option: decoding its base64 form and sniffing the image type. Downloading the http(s) form is
 * the caller's job (it happens once at startup, or at synth time on AWS); both forms end in {@link detectFaviconType}.
 */

/** A favicon ready to serve at `{basePath}/favicon.<type>`. */
export interface Favicon {
  type: 'png' | 'ico' | 'svg';
  body: Uint8Array;
}

/** Content-Type for each favicon type. */
export const FAVICON_CONTENT_TYPES: Readonly<Record<Favicon['type'], string>> = {
  png: 'image/png',
  ico: 'image/x-icon',
  svg: 'image/svg+xml',
};

/**
 * Decodes the base64 form of the favicon option: standard or URL-safe alphabet (mixing is tolerated), padding
 * optional, whitespace anywhere ignored. Returns undefined for empty or malformed input. Upstream rejects padded
 * values whose length is not a multiple of 3 (reference Appendix A.12); we accept correct padding instead.
 */
export function decodeFaviconBase64(s: string): Uint8Array | undefined {
  let b64 = s.replace(/\s+/g, '');
  const padding = /=+$/.exec(b64)?.[0].length ?? 0;
  if (padding > 0) {
    // Padding, when present, must complete a 4-character quantum.
    if (padding > 2 || b64.length % 4 !== 0) return undefined;
    b64 = b64.slice(0, -padding);
  }
  if (b64.length === 0 || b64.length % 4 === 1 || !/^[A-Za-z0-9+/_-]+$/.test(b64)) return undefined;
  return new Uint8Array(Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ICO_MAGIC = [0x00, 0x00, 0x01, 0x00];

function startsWith(b: Uint8Array, magic: readonly number[]): boolean {
  return b.length >= magic.length && magic.every((v, i) => b[i] === v);
}

/**
 * Identifies a favicon by its first bytes: PNG signature, ICO header (reserved 0, type 1), or SVG text (an `<svg`
 * root, optionally after a BOM, whitespace, an XML declaration, comments or a doctype). Anything else is undefined.
 */
export function detectFaviconType(b: Uint8Array): Favicon['type'] | undefined {
  if (startsWith(b, PNG_MAGIC)) return 'png';
  if (startsWith(b, ICO_MAGIC)) return 'ico';
  // SVG is text: look at the start of the document only, so a large binary is not decoded in full.
  const head = new TextDecoder('utf-8', { fatal: false })
    .decode(b.subarray(0, 4096))
    .replace(/^\uFEFF/, '')
    .toLowerCase();
  let rest = head.trimStart();
  // Skip the prolog: XML declaration, processing instructions, comments and a doctype, in any order.
  for (;;) {
    const m = /^(<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!doctype[^>]*>)\s*/.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
  }
  return /^<svg[\s>/]/.test(rest) ? 'svg' : undefined;
}

/**
 * The base64 form of `server.favicon` as a servable favicon: decoded and sniffed, or undefined when it is not base64
 * of a PNG, ICO or SVG image (callers word the error for their setting).
 */
export function faviconFromBase64(value: string): Favicon | undefined {
  const body = decodeFaviconBase64(value);
  const type = body && detectFaviconType(body);
  return body && type ? { type, body } : undefined;
}
