/**
 * SVG path data for the provider icons and the `icons.js` script that draws them. Brand marks come from simple-icons
 * (CC0), imported one by one so esbuild keeps only these; simple-icons has no AWS, Microsoft, Microsoft Edge or
 * Pocket ID marks, so those four are small neutral glyphs drawn here (a cloud, four squares, an "e", an ID card).
 */
import {
  siAndroid,
  siApple,
  siAtlassian,
  siBluesky,
  siDiscord,
  siFacebook,
  siFirefoxbrowser,
  siGithub,
  siGoogle,
  siGooglechrome,
  siOpenid,
  siRaspberrypi,
  siTailscale,
} from 'simple-icons';
import { ICON_NAMES, type IconName, isIconName } from './icon-names.js';

/** One icon: path data on a 24×24 grid, optionally filled with the even-odd rule (used to punch holes). */
export interface IconShape {
  paths: readonly string[];
  evenOdd?: boolean;
}

const ICONS: Readonly<Record<IconName, IconShape>> = {
  android: { paths: [siAndroid.path] },
  apple: { paths: [siApple.path] },
  atlassian: { paths: [siAtlassian.path] },
  aws: { paths: ['M6.5 19.5h11.25a4.25 4.25 0 0 0 .63-8.45A6.25 6.25 0 0 0 6.3 9.52 5 5 0 0 0 6.5 19.5z'] },
  bluesky: { paths: [siBluesky.path] },
  chrome: { paths: [siGooglechrome.path] },
  discord: { paths: [siDiscord.path] },
  edge: {
    paths: ['M21 12a9 9 0 1 0-2.11 5.79l-2.3-1.93A6 6 0 1 1 18 12z', 'M5 10.5h16v3H5z'],
  },
  facebook: { paths: [siFacebook.path] },
  firefox: { paths: [siFirefoxbrowser.path] },
  github: { paths: [siGithub.path] },
  google: { paths: [siGoogle.path] },
  microsoft: { paths: ['M2 2h9.5v9.5H2zM12.5 2H22v9.5h-9.5zM2 12.5h9.5V22H2zM12.5 12.5H22V22h-9.5z'] },
  openid: { paths: [siOpenid.path] },
  pocketid: {
    paths: [
      'M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z' +
        'M8.5 7.5a2.25 2.25 0 1 0 0 4.5 2.25 2.25 0 0 0 0-4.5z' +
        'M4.75 16.5h7.5a3.75 3.25 0 0 0-7.5 0z' +
        'M14 9h6v1.75h-6zM14 13h4.5v1.75H14z',
    ],
    evenOdd: true,
  },
  'raspberry-pi': { paths: [siRaspberrypi.path] },
  tailscale: { paths: [siTailscale.path] },
};

// The client half of icons.js. It builds the SVG with DOM APIs rather than innerHTML so nothing is parsed as markup,
// and it fills placeholders once (re-running it is harmless). Written in ES2015 so every current browser runs it.
const SCRIPT_HEAD = '(function(){"use strict";var I=';
const SCRIPT_TAIL =
  ';var N="http://www.w3.org/2000/svg";function draw(){var els=document.querySelectorAll("[data-icon]");' +
  'for(var i=0;i<els.length;i++){var el=els[i],n=el.getAttribute("data-icon"),ic=Object.prototype.hasOwnProperty.call(I,n)?I[n]:null;' +
  'if(!ic||el.firstElementChild)continue;var s=document.createElementNS(N,"svg");s.setAttribute("viewBox","0 0 24 24");' +
  's.setAttribute("fill","currentColor");s.setAttribute("aria-hidden","true");s.setAttribute("focusable","false");' +
  'if(ic.e)s.setAttribute("fill-rule","evenodd");for(var j=0;j<ic.p.length;j++){var p=document.createElementNS(N,"path");' +
  'p.setAttribute("d",ic.p[j]);s.appendChild(p);}el.appendChild(s);}}' +
  'if(document.readyState==="loading")document.addEventListener("DOMContentLoaded",draw);else draw();})();\n';

/**
 * Parses the `include` query value (`a,b,c`) into known icon names, deduplicated, in request order. `null` or an empty
 * value means "all icons" (upstream behaviour); unknown names are skipped.
 */
export function parseIconInclude(include: string | null): IconName[] {
  if (include === null || include.trim() === '') return [...ICON_NAMES];
  const out: IconName[] = [];
  for (const part of include.split(',')) {
    const name = part.trim();
    if (isIconName(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/** Builds the icons.js source containing only the given icons. */
export function buildIconsScript(names: readonly IconName[]): string {
  const data: Record<string, { p: readonly string[]; e?: 1 }> = {};
  for (const name of names) {
    const shape = ICONS[name];
    data[name] = shape.evenOdd ? { p: shape.paths, e: 1 } : { p: shape.paths };
  }
  // JSON is a valid JS expression; escaping `<` keeps the source inert even if it were ever inlined in HTML.
  return SCRIPT_HEAD + JSON.stringify(data).replace(/</g, '\\u003c') + SCRIPT_TAIL;
}
