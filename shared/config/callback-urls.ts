import { portalPath, ROUTES } from './routes.js';
import type { Config } from './types.js';

/** Where one provider sends browsers back: the redirect URIs to register in its OAuth client. */
export interface ProviderCallback {
  portal: string;
  /** The provider's `name` in the portal. */
  provider: string;
  displayName: string;
  /**
   * `https://{authHost}{basePath}/portals/{portal}/oauth2/callback` (`http://` with `cookies.insecure`) for every domain (and the short form for the
   * default portal). Without `server.domains` the host is the app's own (sub-path mode): `<app host>` stands for it.
   */
  urls: string[];
  /**
   * `…/portals/{portal}/logged-out` (and the short form for the default portal): the post-logout redirect URIs for
   * RP-initiated logout. Empty for providers without an end-session endpoint (Google, GitHub).
   */
  postLogoutUrls: string[];
  /** `…/portals/{portal}/oauth2/backchannel-logout`: the back-channel logout URI (same providers as post-logout). */
  backchannelLogoutUrls: string[];
}

/** Provider kinds that may have an end-session endpoint (OpenID Connect RP-Initiated Logout). */
const END_SESSION_KINDS = new Set(['pocketID', 'openIDConnect', 'microsoftEntraID']);

/** The exact callback URLs each provider must have registered, derived from the config alone. */
export function providerCallbacks(config: Config): ProviderCallback[] {
  const { server } = config;
  const hosts = server.domains.length > 0 ? server.domains.map((d) => d.authHost) : ['<app host>'];
  return config.portals.flatMap((p) => {
    const urls = hosts.flatMap((host) => portalCallbackUrls(config, p.name, host));
    const postLogoutUrls = hosts.flatMap((host) => portalUrls(config, p.name, host, ROUTES.loggedOut.suffix));
    const backchannelLogoutUrls = hosts.flatMap((host) =>
      portalUrls(config, p.name, host, ROUTES.backchannelLogout.suffix),
    );
    return p.providers.map((pr) => ({
      portal: p.name,
      provider: pr.name,
      displayName: pr.displayName,
      urls,
      postLogoutUrls: END_SESSION_KINDS.has(pr.type) ? postLogoutUrls : [],
      backchannelLogoutUrls: END_SESSION_KINDS.has(pr.type) ? backchannelLogoutUrls : [],
    }));
  });
}

/** A portal's callback URLs on one host: the long form, and the short form when it is the default portal. */
export function portalCallbackUrls(config: Config, portal: string, host: string): string[] {
  return portalUrls(config, portal, host, ROUTES.callback.suffix);
}

/** A portal route's absolute URLs on one host: the long form, and the short form for the default portal. */
function portalUrls(config: Config, portal: string, host: string, suffix: string): string[] {
  // The scheme is the proxy's (X-Forwarded-Proto): https, except in a plain-HTTP setup, which `cookies.insecure` marks.
  const scheme = config.cookies.insecure ? 'http' : 'https';
  const url = (short: boolean) => `${scheme}://${host}${portalPath(config, portal, short, suffix)}`;
  return config.defaultPortal === portal ? [url(false), url(true)] : [url(false)];
}
