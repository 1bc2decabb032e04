/**
 * The `tailscaleWhois` provider (standalone only): who is behind a tailnet address, from the local tailscaled's
 * LocalAPI (`GET /localapi/v0/whois?addr=<ip>` over its unix socket), mapped to a profile as upstream does. Tailscale
 * publishes no JavaScript client for the LocalAPI; the call is one GET with node:http.
 */
import { request } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { TailscaleWhoisConfig } from '../config/types.js';
import { DependencyError } from '../errors.js';
import type { Profile } from '../profile.js';

/** What tailscaled says about an address. */
export type WhoisResult =
  | { kind: 'user'; profile: Profile }
  /** Not a tailnet address tailscaled knows (LocalAPI 404). */
  | { kind: 'unknown' }
  /** A device of another tailnet than `allowedTailnet` (a shared-in device has none). */
  | { kind: 'otherTailnet'; tailnet: string };

export interface TailscaleWhois {
  /** @throws DependencyError (502) when tailscaled cannot be reached or answers something else than 200/404. */
  whois(config: TailscaleWhoisConfig, ip: string): Promise<WhoisResult>;
}

/** The LocalAPI host name tailscaled accepts (it refuses other Host headers, against DNS rebinding). */
const LOCALAPI_HOST = 'local-tailscaled.sock';
const MAX_BODY = 1024 * 1024;

/**
 * A LocalAPI client. Answers (users and unknown addresses, not failures) are kept `ttl` ms per portal and address,
 * so a page's burst of checks makes one call; 0 turns that off. An address that changes hands meanwhile keeps the old
 * answer for at most `ttl`, as a cached session lookup does.
 */
export function createTailscaleWhois(options: { ttl: number; max: number }): TailscaleWhois {
  const cache = options.ttl > 0 ? new LRUCache<string, WhoisResult>({ max: options.max, ttl: options.ttl }) : undefined;
  return {
    async whois(config, ip) {
      const key = `${config.path} ${ip}`;
      const hit = cache?.get(key);
      if (hit) return hit;
      const answer = await localApiWhois(config, ip);
      const result = answer === undefined ? ({ kind: 'unknown' } as const) : whoisProfile(config, ip, answer);
      cache?.set(key, result);
      return result;
    },
  };
}

/** The LocalAPI's JSON body for a known address, or undefined for 404. */
function localApiWhois(config: TailscaleWhoisConfig, ip: string): Promise<unknown> {
  const fail = (detail: string, cause?: unknown) =>
    new DependencyError('tailscaled', cause, 502, `tailscaled LocalAPI at ${config.socketPath}: ${detail}`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: config.socketPath,
        path: `/localapi/v0/whois?addr=${encodeURIComponent(ip)}`,
        headers: { Host: LOCALAPI_HOST },
        timeout: config.requestTimeout,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) req.destroy(fail('answer larger than 1 MB'));
          else chunks.push(c);
        });
        res.on('end', () => {
          if (res.statusCode === 404) return resolve(undefined);
          if (res.statusCode !== 200) return reject(fail(`status ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            reject(fail('answer is not JSON', err));
          }
        });
        res.on('error', (err) => reject(fail('answer cut short', err)));
      },
    );
    req.on('timeout', () => req.destroy(fail(`no answer within ${config.requestTimeout} ms`)));
    req.on('error', (err) =>
      reject(err instanceof DependencyError ? err : fail((err as { code?: string }).code ?? err.message, err)),
    );
    req.end();
  });
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Upstream's mapping of a whois answer: ID = the login name's local part (the node's host name for a tagged device),
 * name = display name, email = login name (unverified), picture; claims `hostname` (the MagicDNS name without the
 * trailing dot), `tailnet` (that name minus the node's own label; empty for a device shared in from another tailnet),
 * `ip`, `taggedDevice` (only when true), and `https://<capability>` for each configured capability the device has.
 */
export function whoisProfile(config: TailscaleWhoisConfig, ip: string, body: unknown): WhoisResult {
  const root = obj(body);
  const node = obj(root.Node);
  const user = obj(root.UserProfile);
  const hostname = str(node.Name).replace(/\.$/, '');
  const label = str(node.ComputedName) || hostname.split('.')[0] || '';
  const tailnet =
    obj(node.Hostinfo).ShareeNode === true || !hostname.startsWith(`${label}.`)
      ? ''
      : hostname.slice(label.length + 1).replace(/\.beta\.tailscale\.net$/, '');
  if (config.allowedTailnet !== undefined && tailnet !== config.allowedTailnet)
    return { kind: 'otherTailnet', tailnet };

  const tagged = Array.isArray(node.Tags) && node.Tags.length > 0;
  const login = str(user.LoginName);
  const claims: Record<string, unknown> = { hostname, tailnet, ip };
  if (tagged) claims.taggedDevice = true;
  const capMap = obj(root.CapMap);
  for (const cap of config.capabilityNames) if (capMap[cap] !== undefined) claims[`https://${cap}`] = capMap[cap];

  const profile: Profile = tagged
    ? { id: hostname || label, name: { full: hostname || label } }
    : { id: login.split('@')[0] ?? '', name: { full: str(user.DisplayName) } };
  if (!tagged && login) profile.email = { address: login, verified: false };
  const picture = str(user.ProfilePicURL);
  if (!tagged && picture) profile.picture = picture;
  profile.additionalClaims = claims;
  // A node without a login name or host name cannot be told apart from another: not an identity.
  return profile.id ? { kind: 'user', profile } : { kind: 'unknown' };
}
