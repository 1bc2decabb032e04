/**
 * The portal stylesheet: hand-written CSS reproducing upstream's Tailwind look (a centred translucent card over a
 * background image; from 1024px a white panel on the left and the image in a rounded panel on the right; provider
 * buttons with a gradient border that fills on hover). Served at {@link stylesheetPath}, whose content hash lets
 * browsers cache it for 30 days.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_BACKGROUND } from './images.js';
import { PALETTES, textOn } from './palette.js';

const paletteRules = Object.entries(PALETTES)
  .map(([name, p]) => `.tfa-${name}{--c1:${p[0]};--c2:${p[1]};--on:${textOn(p)}}`)
  .join('\n');

// Relative url(): resolved against the stylesheet, i.e. `{basePath}/img/…`, so the CSS needs no knowledge of basePath.
// Pages with custom backgrounds override the two variables in a nonce'd <style> element.
/** The stylesheet source. */
export const STYLESHEET = `*,*::before,*::after{box-sizing:border-box}
:root{
--bg-md:url(img/${DEFAULT_BACKGROUND});--bg-lg:url(img/${DEFAULT_BACKGROUND});
--text:#111827;--muted:#4b5563;--page:#f3f4f6;--card:rgba(255,255,255,.9);--panel:#fff;--inner:#fff;
--ring:#6b7280;--alert-bg:#f0fdf4;--alert-text:#374151;--alert-icon-bg:#dcfce7;--alert-icon:#22c55e;--danger:#dc2626;
color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{
--text:#f9fafb;--muted:#9ca3af;--page:#111827;--card:rgba(31,41,55,.85);--panel:#1f2937;--inner:#111827;
--ring:#9ca3af;--alert-bg:#14532d;--alert-text:#f3f4f6;--alert-icon-bg:#166534;--alert-icon:#bbf7d0;--danger:#f87171}}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;min-height:100dvh;display:flex;flex-direction:column;background:var(--page);color:var(--text);
font:400 1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.page{flex:1 0 auto;display:flex;flex-direction:column}
.alert{padding:.25rem .25rem .375rem}
.alert-box{display:flex;align-items:center;gap:.75rem;padding:.375rem .5rem;border-radius:.375rem;background:var(--alert-bg);color:var(--alert-text);font-size:.875rem;line-height:1.25rem}
.alert-icon{display:inline-flex;align-items:center;justify-content:center;flex:none;width:1.25rem;height:1.25rem;border-radius:.5rem;background:var(--alert-icon-bg);color:var(--alert-icon)}
.alert-icon svg{width:1.25rem;height:1.25rem}
.layout{flex:1 0 auto;display:flex;align-items:center;justify-content:center;padding:.25rem;background:var(--page) var(--bg-md) center/cover no-repeat}
.card{display:flex;flex-direction:column;max-width:100%;border-radius:.75rem;background:var(--card);-webkit-backdrop-filter:blur(4px);backdrop-filter:blur(4px);
box-shadow:0 1px 2px rgba(0,0,0,.06),0 12px 32px -12px rgba(0,0,0,.4)}
.card-main{display:flex;flex-direction:column;align-items:center;justify-content:center;gap:.5rem;padding:1.5rem 2.5rem;text-align:center}
.card-side{display:none}
h1{margin:0 0 .5rem;font-size:1.5rem;line-height:2rem;font-weight:600;letter-spacing:-.01em;overflow-wrap:anywhere}
.subtitle{margin:-.5rem 0 .5rem;color:var(--muted);font-size:.875rem}
.providers{display:flex;flex-direction:column;gap:.5rem;width:100%;min-width:14rem;max-width:20rem;margin:0;padding:0;list-style:none}
.provider-button,.button{display:flex;padding:2px;border:0;border-radius:.5rem;background:linear-gradient(to bottom right,var(--c1),var(--c2));
color:var(--text);font:inherit;font-size:.875rem;font-weight:500;line-height:1.25rem;text-decoration:none;cursor:pointer}
.provider-button-inner,.button-inner{display:flex;align-items:center;width:100%;padding:.5rem .75rem;border-radius:.375rem;background:var(--inner);
text-align:start;overflow-wrap:anywhere;transition:background-color 75ms ease-in,color 75ms ease-in}
.provider-button:hover,.provider-button:focus-visible{color:var(--on,#fff)}
.provider-button:hover .provider-button-inner,.provider-button:focus-visible .provider-button-inner,
.button:hover .button-inner,.button:focus-visible .button-inner{background:transparent}
.provider-button:focus-visible,.button:focus-visible{outline:3px solid var(--ring);outline-offset:2px}
.provider-icon{display:inline-flex;flex:none;width:.75rem;height:.75rem;margin-inline-end:.375rem}
.provider-icon svg{width:100%;height:100%}
.message{width:100%;max-width:28rem;margin:0;padding:1rem;border-radius:.5rem;background:var(--inner);font-weight:500;overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.875em}
.logout{display:flex;flex-direction:column;align-items:center;margin:.5rem 0 0}
.link-button{margin:.75rem 0 0;padding:.25rem .5rem;background:none;border:0;color:inherit;font:inherit;font-size:.875rem;text-decoration:underline;cursor:pointer;opacity:.8}
.link-button:hover{opacity:1}
.link-button:focus-visible{outline:2px solid currentColor;outline-offset:2px}
.provider-logout{max-width:20rem;margin:1rem 0 0;color:var(--muted);font-size:.875rem}
.provider-logout p{margin:0}
.provider-logout .link-button{display:inline-block;margin-top:.25rem;color:var(--text)}
.sessions{width:100%;max-width:28rem;margin:1rem 0 0;text-align:start}
.sessions h2{margin:0 0 .5rem;font-size:1rem;font-weight:600}
.session-list{margin:0;padding:0;list-style:none;display:flex;flex-direction:column;gap:.5rem}
.session-list li{display:flex;flex-wrap:wrap;align-items:baseline;gap:.25rem .75rem;padding:.5rem .75rem;border-radius:.5rem;background:var(--inner);font-size:.875rem}
.session-device{font-weight:500;overflow-wrap:anywhere}
.session-meta{color:var(--muted);font-size:.8125rem}
.session-this{margin-inline-start:auto;font-size:.8125rem;font-weight:600}
.session-list form{margin-inline-start:auto}
.session-list .link-button{margin:0}
.button{background:linear-gradient(to bottom right,#fecaca,#fca5a5,#fef08a);font-size:.75rem;line-height:1rem}
.button-inner{padding:.25rem .5rem}
.button:hover,.button:focus-visible{color:#111827}
.status{margin:0;color:var(--danger);font-size:.75rem;font-weight:600;letter-spacing:.08em;text-transform:uppercase}
.actions{margin:1rem 0 0}
.request-id{margin:1.5rem 0 0;color:var(--muted);font-size:.75rem;line-height:1.25;overflow-wrap:anywhere}
@media (min-width:768px){
.layout{background-image:var(--bg-lg)}
.card-main{padding:2rem 3.5rem}
h1{margin-bottom:1rem;font-size:1.875rem;line-height:2.25rem}
.subtitle{margin-top:-1rem}
.provider-button{font-size:1rem;line-height:1.5rem}
.provider-button-inner{padding:.625rem 1.25rem}
.provider-icon{width:1rem;height:1rem;margin-inline-end:.5rem}
.logout{margin-top:1rem}
.button{font-size:.875rem;line-height:1.25rem}
.button-inner{padding:.375rem .75rem}}
@media (min-width:1024px){
.layout{align-items:stretch;justify-content:stretch;background:none}
.card{flex:1 1 auto;flex-direction:row;border-radius:.375rem 2rem 2rem .375rem;background:var(--panel);-webkit-backdrop-filter:none;backdrop-filter:none;box-shadow:none}
.card-main{flex:0 0 min(42rem,55%)}
.card-side{display:block;flex:1 1 auto;border-radius:2rem;background:var(--page) var(--bg-md) center/cover no-repeat;box-shadow:inset 0 2px 4px rgba(0,0,0,.06)}}
@media (min-width:1536px){.card-side{background-image:var(--bg-lg)}}
@media (prefers-reduced-motion:reduce){.provider-button-inner,.button-inner{transition:none}}
${paletteRules}
`;

/** First 8 hex characters of the SHA-256 of {@link STYLESHEET}: changes whenever the CSS does. */
export const stylesheetHash: string = createHash('sha256').update(STYLESHEET).digest('hex').slice(0, 8);

/** Path of the stylesheet below `basePath`: `/style.<hash>.css`. */
export const stylesheetPath = `/style.${stylesheetHash}.css`;
