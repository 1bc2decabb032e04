import * as nodeTls from 'node:tls';
import type { Agent, RequestInit as UndiciRequestInit } from 'undici';
import { PEM_BLOCK, validateCaPem } from '../config/ca-pem.js';
import type { ProviderTLSConfig } from '../config/types.js';

/** The TLS settings of a provider's dedicated connection pool. */
export interface ProviderConnectOptions {
  /** Trusted roots: the default roots plus the provider's CA(s). Absent when verification is off. */
  ca?: string[];
  rejectUnauthorized: boolean;
  /** As upstream. */
  minVersion: 'TLSv1.2';
}

/**
 * The connection options {@link createProviderFetch} uses, or undefined when the provider sets no TLS option.
 *
 * `insecureSkipVerify` wins over a CA (as upstream). A custom CA **extends** the default roots instead of replacing
 * them (deliberate difference from upstream, its Appendix A #21): a provider behind a private CA keeps working if it
 * moves to a public CA, and redirects/JWKS on public hosts still verify. Node replaces its roots with `ca` when `ca`
 * is given, so the defaults are listed explicitly: `tls.getCACertificates('default')` where Node has it (22.15+, so
 * `NODE_EXTRA_CA_CERTS` is kept), else the bundled `tls.rootCertificates`.
 *
 * @throws TypeError when `caPEM` is not valid PEM (config validation reports it first, see {@link validateCaPem}).
 */
export function providerConnectOptions(tls: ProviderTLSConfig): ProviderConnectOptions | undefined {
  if (tls.insecureSkipVerify) return { rejectUnauthorized: false, minVersion: 'TLSv1.2' };
  if (!tls.caPEM) return undefined;
  const problem = validateCaPem(tls.caPEM);
  if (problem) throw new TypeError(`provider CA certificate ${problem}`);
  const custom = tls.caPEM.match(PEM_BLOCK) ?? [];
  return { ca: [...defaultRoots(), ...custom], rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

/**
 * A fetch for openid-client's `customFetch` that applies the provider's TLS options (see
 * {@link providerConnectOptions}) through a dedicated undici `Agent`, used for discovery, token, userinfo and JWKS
 * calls. It is npm undici's own `fetch` with that agent as `dispatcher`: Node's global fetch bundles a different
 * undici whose dispatcher interface need not match. Create it once per provider; the agent pools connections. npm
 * undici is imported at the first call, so bundles whose providers set no TLS option never load it.
 *
 * @returns undefined when no TLS option is set: use the default fetch.
 * @throws TypeError when `caPEM` is not valid PEM.
 */
export function createProviderFetch(tls: ProviderTLSConfig): typeof fetch | undefined {
  const connect = providerConnectOptions(tls);
  if (!connect) return undefined;
  // npm undici is half of a login or callback bundle and few providers need it: load it at the first call.
  let agent: Promise<{ dispatcher: Agent; undiciFetch: typeof import('undici').fetch }> | undefined;
  const load = () => {
    agent ??= import('undici').then((u) => ({ dispatcher: new u.Agent({ connect }), undiciFetch: u.fetch }));
    return agent;
  };

  const providerFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // A global Request is not an npm-undici Request, so hand its parts over explicitly.
    const fromRequest: RequestInit =
      input instanceof Request
        ? {
            method: input.method,
            headers: input.headers,
            body: input.body,
            redirect: input.redirect,
            signal: input.signal,
            ...(input.body ? { duplex: 'half' } : {}),
          }
        : {};
    const url = input instanceof Request ? input.url : input;
    const { dispatcher, undiciFetch } = await load();
    const merged = { ...fromRequest, ...init, dispatcher } as unknown as UndiciRequestInit;
    // openid-client accepts undici's Response: it checks the Symbol.toStringTag, not the class identity.
    return (await undiciFetch(url, merged)) as unknown as Response;
  };
  return providerFetch as typeof fetch;
}

function defaultRoots(): readonly string[] {
  const withGetter = nodeTls as typeof nodeTls & { getCACertificates?: (type: 'default') => string[] };
  return typeof withGetter.getCACertificates === 'function'
    ? withGetter.getCACertificates('default')
    : nodeTls.rootCertificates;
}
