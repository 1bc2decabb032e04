import { isIP } from 'node:net';
import { badRequest } from './errors.js';

/** What the proxy (or the browser, when it reaches us directly) tells us about the original request. */
export interface ForwardedRequest {
  /** Original host, verbatim (may carry a port): `X-Forwarded-Host`, else `Host`. */
  host: string;
  /** `https` for https/wss, `http` for http/ws. */
  scheme: 'http' | 'https';
  /** `X-Forwarded-Uri` as sent, if any. */
  uri?: string;
  /** Leftmost `X-Forwarded-For` address, if any. */
  clientIp?: string;
}

/**
 * Host syntax accepted from headers: a DNS name, an IPv4 address or a bracketed IPv6 literal, with an optional
 * port. Stricter than "anything", looser than upstream's regex (which rejects punycode TLDs and hex IPv6).
 */
const HOST_RE =
  /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The default host names of AWS front doors: Lambda Function URLs and API Gateway (`execute-api`) endpoints. */
const AWS_FRONT_DOOR_HOST =
  /(^|\.)(lambda-url\.[a-z0-9-]+\.on\.aws|execute-api\.[a-z0-9-]+\.amazonaws\.com)\.?(:\d+)?$/i;

function firstValue(value: string | null): string | undefined {
  if (value === null) return undefined;
  const first = value.split(',')[0]?.trim();
  return first === '' ? undefined : first;
}

/**
 * Reads the forwarded headers as DESIGN §3.9 says: host from `X-Forwarded-Host` or `Host`; scheme from
 * `X-Forwarded-Proto`, else the scheme the request arrived with (always https behind AWS front doors);
 * `X-Forwarded-For` and `X-Forwarded-Port` optional but validated when present.
 * @throws HttpError 400 naming the bad header.
 */
export function readForwarded(req: Request, url: URL = new URL(req.url)): ForwardedRequest {
  return readForwardedFrom((name) => req.headers.get(name), url.host, url.protocol);
}

/**
 * {@link readForwarded} over any header source (`get` answers as web `Headers.get` does): the verify fast path reads
 * Lambda events and Node requests without building a web Request. `urlHost` and `urlProtocol` are those of the URL the
 * request arrived at.
 */
export function readForwardedFrom(
  get: (name: string) => string | null,
  urlHost: string,
  urlProtocol: string,
): ForwardedRequest {
  const forwardedHost = firstValue(get('x-forwarded-host'));
  const host = forwardedHost ?? get('host') ?? urlHost;
  if (!host) throw badRequest('Missing header X-Forwarded-Host');
  // Behind an AWS front door the Host is the front door's own; without X-Forwarded-Host the app's host is unknown, and
  // a cookie or sign-in URL for `*.on.aws` would be useless (or, without server.domains, silently wrong).
  if (forwardedHost === undefined && AWS_FRONT_DOOR_HOST.test(host))
    throw badRequest(
      'Missing header X-Forwarded-Host',
      `the request reached the AWS front door ${host.slice(0, 100)} directly: the proxy must send X-Forwarded-Host with the app's host`,
    );
  if (host.length > 255 || !HOST_RE.test(host))
    throw badRequest('Invalid header X-Forwarded-Host', `host ${JSON.stringify(host.slice(0, 100))}`);
  const portPart = /:(\d+)$/.exec(host)?.[1];
  if (portPart !== undefined && (Number(portPart) < 1 || Number(portPart) > 65535))
    throw badRequest('Invalid header X-Forwarded-Host');

  const proto = (firstValue(get('x-forwarded-proto')) ?? urlProtocol.replace(':', '')).toLowerCase();
  if (!['http', 'https', 'ws', 'wss'].includes(proto)) throw badRequest('Invalid header X-Forwarded-Proto');
  const scheme = proto === 'https' || proto === 'wss' ? 'https' : 'http';

  const port = firstValue(get('x-forwarded-port'));
  if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65535))
    throw badRequest('Invalid header X-Forwarded-Port');

  const clientIp = firstValue(get('x-forwarded-for'));
  if (clientIp !== undefined && isIP(clientIp.replace(/^\[|\]$/g, '')) === 0)
    throw badRequest('Invalid header X-Forwarded-For');

  const uri = get('x-forwarded-uri') ?? undefined;
  return { host, scheme, uri, clientIp };
}

/**
 * Reduces `X-Forwarded-Uri` to its path and query, verbatim (upstream §2.13): an absolute or scheme-relative value
 * keeps only its path and query, `?q=v` becomes `/?q=v`. Control characters make it unusable (→ undefined); other
 * non-URL characters are percent-encoded so the result is always a safe header value.
 */
export function pathAndQuery(uri: string | undefined): string | undefined {
  if (uri === undefined || uri === '') return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(uri)) return undefined;
  let rest = uri;
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(rest) ?? /^\/\/[^/?#]*/.exec(rest);
  if (absolute) rest = rest.slice(absolute[0].length);
  rest = rest.split('#')[0] ?? '';
  if (rest.startsWith('?')) rest = `/${rest}`;
  else if (rest === '') rest = '/';
  if (!rest.startsWith('/')) return undefined;
  // Backslashes become slashes in browsers' URL parsing; "/\evil" must not turn into "//evil" (scheme-relative).
  rest = rest.replace(/\\/g, '%5C');
  return rest.replace(/[^\x21-\x7e]/gu, encodeUriChar);
}

/**
 * Header values are byte strings (Node decodes them as latin1, one char per byte), so a char up to U+00FF is one raw
 * byte and is encoded as that byte, as Go does: raw UTF-8 `ä` (C3 A4) becomes `%C3%A4`, not a double-encoded
 * `%C3%83%C2%A4`. Wider chars cannot come from a header; they are encoded as UTF-8 (a lone surrogate as U+FFFD).
 */
function encodeUriChar(c: string): string {
  const code = c.charCodeAt(0);
  if (c.length === 1 && code <= 0xff) return `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
  return encodeURIComponent(c.replace(/\p{Cs}/u, '\ufffd'));
}
