/**
 * The portal's HTML pages: provider chooser (sign-in), "you're authenticated" and error. Pure functions from data to
 * an HTML string; pair each with {@link htmlResponse} (`./security.js`) using the same nonce. Every interpolated value
 * is escaped by the `html` template; the only inline code is a nonce'd `<style>` (custom backgrounds) and a nonce'd
 * external script (`icons.js`), so the pages run under a CSP without `'unsafe-inline'`. They work without JavaScript:
 * the script only draws the provider icons.
 */

import { cssUrl, type HtmlValue, html, raw, type SafeHtml, safeUrl } from '../http/html.js';
import type { ErrorView } from './error-view.js';
import { isIconName } from './icon-names.js';
import { colorClass } from './palette.js';
import { stylesheetPath } from './styles.js';

/** One entry of the provider chooser. */
export interface ProviderButton {
  /** Provider name (lower-case, used in URLs). */
  name: string;
  displayName: string;
  /** Icon name; unknown names render no icon. */
  icon: string;
  /** Tailwind palette name; unknown names render the neutral palette. */
  color: string;
  /** Absolute URL of `{portal URI}/providers/{name}?state=…`. */
  href: string;
}

/** Where a page links its static assets. */
export interface AssetLinks {
  /** `''` or `'/prefix'` (a trailing slash is tolerated). */
  basePath: string;
  /** Type of the configured favicon, if any (served at `{basePath}/favicon.<type>`). */
  favicon?: 'png' | 'ico' | 'svg';
}

/** Background image URLs of a portal; absent ones use the bundled default. */
export interface Backgrounds {
  /** Used up to 1024px wide (and for the side panel on large screens); upstream recommends 720×1080. */
  medium?: string;
  /** Used from 768px wide; upstream recommends 940×1410. */
  large?: string;
}

const FAVICON_LINK_TYPES = { png: 'image/png', ico: 'image/x-icon', svg: 'image/svg+xml' } as const;

function base(assets: AssetLinks): string {
  // A bare "/" basePath must not produce protocol-relative links ("//style…").
  return assets.basePath.replace(/\/+$/, '');
}

function head(o: { title: string; assets: AssetLinks; nonce: string; backgrounds?: Backgrounds; icons?: string[] }) {
  const b = base(o.assets);
  const fav = o.assets.favicon;
  const bgRules = [
    o.backgrounds?.medium ? `--bg-md:${cssUrl(o.backgrounds.medium)};` : '',
    o.backgrounds?.large ? `--bg-lg:${cssUrl(o.backgrounds.large)};` : '',
  ].join('');
  const faviconLink = fav
    ? html`<link rel="icon" href="${b}/favicon.${fav}" type="${FAVICON_LINK_TYPES[fav]}"${fav === 'svg' ? raw(' sizes="any"') : ''}>\n`
    : '';
  // cssUrl() escapes everything that could end the string or the element, so the rule text is safe as raw markup.
  const bgStyle = bgRules ? html`<style nonce="${o.nonce}">:root{${raw(bgRules)}}</style>\n` : '';
  const iconsScript =
    o.icons && o.icons.length > 0
      ? html`<script nonce="${o.nonce}" src="${b}/icons.js?include=${o.icons.join(',')}" defer></script>\n`
      : '';
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${o.title}</title>
<link rel="stylesheet" href="${b}${stylesheetPath}">
${faviconLink}${bgStyle}${iconsScript}</head>`;
}

function renderDocument(o: {
  title: string;
  assets: AssetLinks;
  nonce: string;
  backgrounds?: Backgrounds;
  icons?: string[];
  banner?: HtmlValue;
  main: HtmlValue;
}): string {
  return html`<!DOCTYPE html>
<html lang="en">
${head(o)}
<body>
<main class="page">
${o.banner ?? ''}<div class="layout">
<div class="card">
<div class="card-main">
${o.main}
</div>
<div class="card-side"></div>
</div>
</div>
</main>
</body>
</html>
`.value;
}

// A check mark cut out of a disc (even-odd fill), drawn for this banner.
const CHECK_ICON = raw(
  '<svg viewBox="0 0 20 20" fill="currentColor" fill-rule="evenodd" aria-hidden="true" focusable="false">' +
    '<path d="M10 1a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM5.3 10.9l1.4-1.4 2.1 2.1 4.7-4.7 1.4 1.4-6.1 6.1z"/></svg>',
);

/** What the logged-out page says, and the offer to sign out at the provider too (when it has an end-session endpoint). */
export interface LogoutBanner {
  /** "Signed out." or "Signed out on all devices (3 sessions)." (plain text). */
  message: string;
  offer?: { providerDisplayName: string; href: string };
}

function logoutBanner(b: LogoutBanner, buttons: number): SafeHtml {
  const again =
    buttons === 1
      ? 'You can sign back in with the button below.'
      : 'You can sign back in with one of the buttons below.';
  return html`<div class="alert" role="status">
<div class="alert-box"><span class="alert-icon">${CHECK_ICON}</span><span>${b.message} ${again}</span></div>
</div>
`;
}

function providerLogout(offer: NonNullable<LogoutBanner['offer']>): SafeHtml {
  return html`<div class="provider-logout">
<p>You may still be signed in at ${offer.providerDisplayName}, which would sign you straight back in here.</p>
<a class="link-button" href="${safeUrl(offer.href)}">Sign out of ${offer.providerDisplayName} too</a>
</div>`;
}

function providerItem(p: ProviderButton): SafeHtml {
  const icon = isIconName(p.icon)
    ? html`<span class="provider-icon" data-icon="${p.icon}" aria-hidden="true"></span>`
    : '';
  return html`<li><a class="provider-button ${colorClass(p.color)}" href="${safeUrl(p.href)}"><span class="provider-button-inner">${icon}<span><span class="sr-only">Sign in with </span>${p.displayName}</span></span></a></li>
`;
}

/**
 * The provider chooser (`GET P/signin`): heading = portal display name, one link per provider in the given (config)
 * order, and the green "signed out" banner (with the offer to sign out at the provider too) after a logout.
 */
export function renderSigninPage(o: {
  portalDisplayName: string;
  providers: ProviderButton[];
  logout?: LogoutBanner;
  assets: AssetLinks;
  backgrounds: Backgrounds;
  nonce: string;
}): string {
  const icons: string[] = [];
  for (const p of o.providers) if (isIconName(p.icon) && !icons.includes(p.icon)) icons.push(p.icon);
  return renderDocument({
    title: o.portalDisplayName,
    assets: o.assets,
    nonce: o.nonce,
    backgrounds: o.backgrounds,
    icons,
    banner: o.logout ? logoutBanner(o.logout, o.providers.length) : undefined,
    main: html`<h1>${o.portalDisplayName}</h1>
<p class="subtitle">Sign in to continue</p>
<ul class="providers">
${o.providers.map(providerItem)}</ul>
${o.logout?.offer ? providerLogout(o.logout.offer) : ''}`,
  });
}

/**
 * The page shown for `GET P?html=1` with a valid session: who the user is, and a "Log out" button that POSTs to
 * `logoutAction` (upstream has no GET logout, and CSP `form-action 'self'` restricts where the form may post).
 */
export function renderAuthenticatedPage(o: {
  portalDisplayName: string;
  providerDisplayName: string;
  user: string;
  logoutAction: string;
  /** The user's sessions in this portal, with where each one's "End" button posts. */
  sessions?: { rows: DeviceRow[]; endAction: string };
  assets: AssetLinks;
  backgrounds: Backgrounds;
  nonce: string;
}): string {
  return renderDocument({
    title: o.portalDisplayName,
    assets: o.assets,
    nonce: o.nonce,
    backgrounds: o.backgrounds,
    main: html`<h1>${o.portalDisplayName}</h1>
<p class="message">You're authenticated with provider <b><code>${o.providerDisplayName}</code></b> as <b><code>${o.user}</code></b>.</p>
<form class="logout" method="post" action="${safeUrl(o.logoutAction)}">
<button class="button" type="submit"><span class="button-inner">Log out</span></button>
<button class="link-button" type="submit" formaction="${safeUrl(everywhere(o.logoutAction))}">Log out on all devices</button>
</form>
${o.sessions ? sessionList(o.sessions.rows, o.sessions.endAction) : ''}`,
  });
}

/** One of the user's sessions on the signed-in page. */
export interface DeviceRow {
  /** Short session id (what the "End" button posts). */
  id: string;
  /** "Firefox on Linux, 192.0.2.7": from the User-Agent and address recorded at sign-in. */
  device: string;
  /** When it signed in, already formatted. */
  created: string;
  /** The session of the browser looking at the page. */
  current: boolean;
}

function sessionList(rows: DeviceRow[], endAction: string): SafeHtml {
  const items = rows.map(
    (
      r,
    ) => html`<li><span class="session-device">${r.device}</span><span class="session-meta">signed in ${r.created}</span>${
      r.current
        ? html`<span class="session-this">this device</span>`
        : html`<form method="post" action="${safeUrl(endAction)}"><input type="hidden" name="session" value="${r.id}"><button class="link-button" type="submit">End this session</button></form>`
    }</li>
`,
  );
  return html`<section class="sessions" aria-labelledby="sessions-title">
<h2 id="sessions-title">Your sessions</h2>
<ul class="session-list">
${items}</ul>
</section>`;
}

/** The same logout URL with `everywhere=1`: every session of the user in the portal is revoked. */
function everywhere(logoutAction: string): string {
  return `${logoutAction}${logoutAction.includes('?') ? '&' : '?'}everywhere=1`;
}

/**
 * A browser's error page: what happened in plain words ({@link ErrorView}), the next step as a button, and in small
 * print the status, the public message (what non-browser clients get) and the request ID to quote to an operator.
 * Uses the bundled background; `nonce` is accepted so callers can treat every page alike with {@link htmlResponse}.
 */
export function renderErrorPage(o: {
  status: number;
  message: string;
  view: ErrorView;
  requestId: string;
  assets: AssetLinks;
  nonce: string;
}): string {
  const { title, text, action } = o.view;
  return renderDocument({
    title,
    assets: o.assets,
    nonce: o.nonce,
    main: html`<h1>${title}</h1>
<p class="message">${text}</p>
${
  action
    ? html`<p class="actions"><a class="provider-button ${colorClass('indigo')}" href="${safeUrl(action.href)}"><span class="provider-button-inner">${action.label}</span></a></p>
`
    : ''
}<p class="request-id">Error ${o.status}: ${o.message}<br>Request ID: <code>${o.requestId}</code></p>`,
  });
}
