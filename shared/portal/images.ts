/**
 * Bundled images served under `{basePath}/img/`. Upstream ships two photos; we ship one small abstract SVG (soft
 * colour fields made of radial gradients, no filters, so it is cheap to paint) used when a portal sets no background.
 */

/** File name of the default background, relative to `{basePath}/img/` (and to the stylesheet, which links it). */
export const DEFAULT_BACKGROUND = 'background.svg';

const BACKGROUND_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1600 1200" preserveAspectRatio="xMidYMid slice">
<defs>
<linearGradient id="b" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="#1e1b4b"/><stop offset=".55" stop-color="#3b2f80"/><stop offset="1" stop-color="#0f3b57"/>
</linearGradient>
<radialGradient id="p"><stop offset="0" stop-color="#ec4899" stop-opacity=".75"/><stop offset="1" stop-color="#ec4899" stop-opacity="0"/></radialGradient>
<radialGradient id="c"><stop offset="0" stop-color="#22d3ee" stop-opacity=".6"/><stop offset="1" stop-color="#22d3ee" stop-opacity="0"/></radialGradient>
<radialGradient id="v"><stop offset="0" stop-color="#a78bfa" stop-opacity=".7"/><stop offset="1" stop-color="#a78bfa" stop-opacity="0"/></radialGradient>
<radialGradient id="a"><stop offset="0" stop-color="#fbbf24" stop-opacity=".45"/><stop offset="1" stop-color="#fbbf24" stop-opacity="0"/></radialGradient>
</defs>
<rect width="1600" height="1200" fill="url(#b)"/>
<circle cx="1250" cy="220" r="560" fill="url(#p)"/>
<circle cx="260" cy="980" r="620" fill="url(#c)"/>
<circle cx="520" cy="260" r="480" fill="url(#v)"/>
<circle cx="1380" cy="1080" r="420" fill="url(#a)"/>
<path d="M0 860C260 760 520 820 800 900s560 90 800-20v460H0z" fill="#fff" fill-opacity=".06"/>
<path d="M0 980c300-90 560-40 820 40s520 80 780-30v210H0z" fill="#fff" fill-opacity=".05"/>
</svg>
`;

/** A bundled image: MIME type and bytes. */
export interface BundledImage {
  type: string;
  body: Uint8Array;
}

/** Bundled images by file name (what follows `{basePath}/img/`). */
export const IMAGES: ReadonlyMap<string, BundledImage> = new Map([
  [DEFAULT_BACKGROUND, { type: 'image/svg+xml', body: new TextEncoder().encode(BACKGROUND_SVG) }],
]);
