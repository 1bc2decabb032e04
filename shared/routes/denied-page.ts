/**
 * The 403 page a browser sees when it is signed in but fails the app's condition (`?if=` / `X-Forward-Auth-If`).
 * Rendered by the verify function, which carries no portal (test/boundaries.test.ts), so it is this one small,
 * self-contained template. The proxy relays it on the app's own origin, where the auth server's stylesheet is not
 * `'self'`: its few rules sit in a nonce'd `<style>`, and the CSP allows nothing else but that.
 */
import { html, raw, safeUrl } from '../http/html.js';
import { newNonce, pageHeaders } from '../http/page-headers.js';

export interface Denial {
  /** Who is signed in: the e-mail address, else the user id. */
  user: string;
  providerDisplayName: string;
  portalDisplayName: string;
  /** The app's host (X-Forwarded-Host). */
  appHost: string;
  /** The condition the app requires, shown only with the portal's `explainDenials`. */
  condition?: string;
  /** Absolute URL of the portal's signed-in page, where the user can sign out and sign in as someone else. */
  switchUserUrl: string;
  requestId: string;
}

// Light and dark, centred card; the portal's look without its stylesheet (which lives on the auth host).
const STYLE =
  ':root{color-scheme:light dark;--text:#111827;--muted:#4b5563;--page:#f3f4f6;--card:#fff;--inner:#f9fafb}' +
  '@media (prefers-color-scheme:dark){:root{--text:#f9fafb;--muted:#9ca3af;--page:#111827;--card:#1f2937;--inner:#111827}}' +
  'body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--page);' +
  'color:var(--text);font:400 1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}' +
  'main{box-sizing:border-box;width:100%;max-width:32rem;margin:1rem;padding:2rem;border-radius:1rem;background:var(--card);' +
  'box-shadow:0 10px 25px rgba(0,0,0,.15);text-align:center}' +
  'h1{margin:0 0 1rem;font-size:1.5rem;line-height:2rem;font-weight:600}' +
  '.message{margin:0;padding:1rem;border-radius:.5rem;background:var(--inner);overflow-wrap:anywhere}' +
  'code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875em}' +
  '.actions{margin:1.25rem 0 0}' +
  '.actions a{display:inline-block;padding:.5rem 1rem;border-radius:.5rem;background:linear-gradient(to bottom right,#4f46e5,#6366f1);' +
  'color:#fff;font-weight:500;text-decoration:none}' +
  '.actions a:focus-visible{outline:3px solid var(--muted);outline-offset:2px}' +
  '.request-id{margin:1.5rem 0 0;color:var(--muted);font-size:.75rem;overflow-wrap:anywhere}';

/**
 * The CSP of the denial page: only its own nonce'd style; no script, image, font, form or frame. `'self'` would be the
 * app, so nothing may load from it.
 */
export function deniedCsp(nonce: string): string {
  return `default-src 'none'; style-src 'nonce-${nonce}'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'`;
}

/** The 403 page: who is signed in, that this app refused them (and why, with `explainDenials`), and a way out. */
export function deniedPage(d: Denial): Response {
  const nonce = newNonce();
  const why = d.condition
    ? html`but this app requires <code>${d.condition}</code>.`
    : html`but this account does not have access to <b>${d.appHost}</b>.`;
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Access denied</title>
<style nonce="${nonce}">${raw(STYLE)}</style>
</head>
<body>
<main>
<h1>Access denied</h1>
<p class="message">You're signed in as <b>${d.user}</b> (${d.providerDisplayName}), ${why}</p>
<p class="actions"><a href="${safeUrl(d.switchUserUrl)}">Sign in as someone else</a></p>
<p class="request-id">Access is controlled by ${d.portalDisplayName}. Error 403<br>Request ID: <code>${d.requestId}</code></p>
</main>
</body>
</html>
`;
  return new Response(page.value, { status: 403, headers: pageHeaders(deniedCsp(nonce)) });
}
