import { isIP } from 'node:net';
import type { Config } from '../config/types.js';

/** Lower-case, trim, drop the port, the brackets of an IPv6 literal and a trailing dot. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  return h.replace(/\.$/, '');
}

export interface HostMatch {
  /** `Domain` for cookies; '' means a host-only cookie (IP hosts, single-label hosts such as `localhost`). */
  cookieDomain: string;
  /** Host (with optional port) of the auth server's own URLs. */
  authHost: string;
  /** The `server.domains` entry the host falls under (a listed IP is its own); undefined without configured domains. */
  domain?: string;
}

/**
 * Upstream's DomainForHost (§1.3): sub-path mode (no `domains`) uses the request host; otherwise the longest
 * configured domain that equals or is a parent of the host wins. Unlike upstream, with domains an IP host must be
 * listed itself (a bare IP in `Host` or a return URL otherwise passes any domain check). `undefined`: not ours.
 */
export function matchHost(config: Config, rawHost: string): HostMatch | undefined {
  const host = normalizeHost(rawHost);
  if (host === '') return undefined;
  const domains = config.server.domains;
  if (isIP(host) !== 0) {
    // Sub-path mode serves any host; with domains an IP host is ours only when listed (no cookie-domain suffix
    // matching for addresses).
    const listed = domains.find((d) => d.domain === host);
    if (domains.length > 0 && !listed) return undefined;
    return { cookieDomain: '', authHost: isIP(host) === 6 ? `[${host}]` : host, ...(listed ? { domain: host } : {}) };
  }
  if (domains.length === 0) return { cookieDomain: cookieDomainFor(host), authHost: host };
  let best: (typeof domains)[number] | undefined;
  for (const d of domains) {
    if ((host === d.domain || host.endsWith(`.${d.domain}`)) && (!best || d.domain.length > best.domain.length))
      best = d;
  }
  return best
    ? { cookieDomain: cookieDomainFor(best.domain), authHost: best.authHost, domain: best.domain }
    : undefined;
}

/**
 * Browsers refuse or mishandle `Domain=` on single-label hosts such as `localhost`, so those get host-only cookies
 * (upstream always sets Domain; for such hosts the effect is the same).
 */
function cookieDomainFor(domain: string): string {
  return domain.includes('.') ? domain : '';
}
