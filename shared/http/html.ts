/**
 * A tiny auto-escaping HTML template helper. Every interpolated value is escaped unless it is already a {@link SafeHtml}
 * produced by this module, so a template can only emit markup that was written literally in a template string.
 * (Kept in-house rather than using `hono/html` so the page renderers stay synchronous and dependency-free.)
 */

/** Markup that is known to be safe (built by {@link html} or deliberately wrapped with {@link raw}). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Values accepted inside an {@link html} template; `null`, `undefined` and `false` render as nothing. */
export type HtmlValue = string | number | SafeHtml | readonly HtmlValue[] | null | undefined | false;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for use in HTML element content and in quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return escapeHtml(v);
  return v.map(render).join('');
}

/** Tagged template: literal parts are kept verbatim, interpolations are escaped (arrays are concatenated). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    out += render(values[i]) + (strings[i + 1] ?? '');
  }
  return new SafeHtml(out);
}

/** Marks a string as trusted markup. Only for constants written in this package, never for request or config data. */
export function raw(s: string): SafeHtml {
  return new SafeHtml(s);
}

/**
 * Returns `url` if it is an http(s) URL or a same-origin path, else `'#'`. Hrefs are built by the routes from validated
 * values, but a `javascript:` URL must never reach an attribute even if a caller gets that wrong.
 */
export function safeUrl(url: string): string {
  const u = url.trim();
  if (/^https?:\/\//i.test(u)) return u;
  if (u.startsWith('/') && !u.startsWith('//')) return u;
  return '#';
}

/**
 * Serialises a URL as a double-quoted CSS string for `url(...)` inside a `<style>` element. Everything outside a
 * conservative URL-safe set is written as a CSS hex escape, so the value can neither end the string nor the element
 * (`</style>` becomes `\3c /style\3e `).
 */
export function cssUrl(url: string): string {
  let out = '';
  for (const ch of url) {
    if (/^[A-Za-z0-9._~:/?#@!$&*+,;=%-]$/.test(ch)) out += ch;
    else out += `\\${(ch.codePointAt(0) ?? 0).toString(16)} `;
  }
  return `url("${out}")`;
}
