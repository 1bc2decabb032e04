import { DEFAULT_IDENTITY_HEADERS } from '../config/identity-headers.js';
import type { HeaderConfig, PortalConfig } from '../config/types.js';
import { claimValue, type Profile } from '../profile.js';

const MAX_VALUE_BYTES = 1024;

/** `X-Authenticated-User` is not expressible in config: it is a JSON summary only the defaults produce. */
type HeaderSpec = HeaderConfig | { name: string; source: { summary: true } };

/** The headers used when a portal has no `headers` key (upstream order). */
const DEFAULT_HEADERS: HeaderSpec[] = [
  { name: DEFAULT_IDENTITY_HEADERS.user, source: { claim: 'id' } },
  { name: DEFAULT_IDENTITY_HEADERS.summary, source: { summary: true } },
  { name: DEFAULT_IDENTITY_HEADERS.displayName, source: { claim: 'name' } },
];

/**
 * Go's JSON encoder escapes HTML-significant characters and line separators; match it byte for byte. A lone surrogate
 * (JavaScript's counterpart of invalid UTF-8, e.g. from a `"\ud800"` claim) becomes U+FFFD, as Go's decoder makes it.
 */
export function goJSONString(value: string): string {
  return JSON.stringify(value.replace(/\p{Cs}/gu, '\ufffd'))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Upstream's claim stringification for headers: lists space-joined, scalars as text, objects empty. */
function headerText(claim: string, value: unknown): string {
  if (claim === 'groups' || claim === 'roles') return Array.isArray(value) ? value.join(' ') : '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/**
 * The identity headers for a session (upstream §1.9): defaults, a custom list, or none (`headers: []`). Empty
 * values and values over 1 KB are omitted. Values are returned as the UTF-8 bytes of the text, one char per byte,
 * because HTTP header values are byte strings: on the wire this is exactly what upstream (Go) sends.
 */
export function identityHeaders(
  portal: PortalConfig,
  provider: string,
  profile: Profile,
): [name: string, value: string][] {
  const out: [string, string][] = [];
  const specs: HeaderSpec[] = portal.headers ?? DEFAULT_HEADERS;
  for (const h of specs) {
    const src = h.source;
    let text: string;
    if ('claim' in src) {
      text = headerText(src.claim, claimValue(profile, provider, src.claim));
      if (src.claim === 'id' && portal.namespaceUserIds && text !== '') text = `${provider}:${text}`;
    } else if ('property' in src) text = src.property === 'portal.name' ? portal.name : provider;
    else
      text = `{"provider":${goJSONString(provider)},"portal":${goJSONString(portal.name)},"user":${goJSONString(profile.id)}}`;
    // Header values cannot carry line breaks; Go's server turns them into spaces, other control characters go.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: header-unsafe characters
    const safe = text.replace(/[\r\n]/g, ' ').replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');
    const bytes = Buffer.from(safe, 'utf8');
    if (bytes.length === 0 || bytes.length > MAX_VALUE_BYTES) continue;
    out.push([h.name, bytes.toString('latin1')]);
  }
  return out;
}
