/**
 * What the stack prints for the operator, built from the bundled config: the callback URLs to register, the
 * forward-auth check URLs and the Traefik middleware. Pure functions of the config, so they need no construct.
 */
import { portalCallbackUrls } from '../shared/config/callback-urls.js';
import { DEFAULT_IDENTITY_HEADER_NAMES } from '../shared/config/identity-headers.js';
import { portalPath } from '../shared/config/routes.js';
import type { Config, PortalConfig } from '../shared/config/types.js';

/** The identity headers of a portal without `headers` (defined once, in shared/config/identity-headers.ts). */
export const DEFAULT_IDENTITY_HEADERS: string[] = [...DEFAULT_IDENTITY_HEADER_NAMES];

/** `maxResponseBodySize` of the printed Traefik middleware (docs/recipes/traefik.*.yml use the same). */
export const TRAEFIK_MAX_RESPONSE_BODY = 65536;

/** `https://{authHost}{basePath}/portals/{portal}/oauth2/callback` for every portal and domain (plus the short route). */
export function callbackUrls(config: Config): string[] {
  return config.server.domains.flatMap((d) =>
    config.portals.flatMap((p) => portalCallbackUrls(config, p.name, d.authHost)),
  );
}

/** `{base}{basePath}/portals/{portal}` for every portal, where `base` ends with `/` (a Function or stage URL). */
export function checkUrls(config: Config, base: string): string[] {
  return config.portals.map((p) => `${base}${portalPath(config, p.name, false).slice(1)}`);
}

/** A Traefik dynamic-config YAML document with one forwardAuth middleware (`tfa-<portal>`) per portal. */
export function traefikMiddleware(config: Config, verifyUrl: string): string {
  const lines = ['http:', '  middlewares:'];
  const urls = checkUrls(config, verifyUrl);
  config.portals.forEach((p, i) => {
    lines.push(
      `    tfa-${p.name}:`,
      '      forwardAuth:',
      `        address: "${urls[i]}"`,
      '        trustForwardHeader: true',
    );
    // Listed headers are replaced on the upstream request; an unlisted one would pass from the client untouched.
    // Cookie: the answer's (the browser's minus the session and state cookies), deleted when the answer has none.
    const headers = [
      ...identityHeaderNames(p),
      ...(p.identityAssertion ? [p.identityAssertion.header] : []),
      ...(p.stripAuthCookies ? ['Cookie'] : []),
    ];
    if (headers.length > 0) lines.push('        authResponseHeaders:', ...headers.map((h) => `          - ${h}`));
    // Our answers are a few hundred bytes; Traefik (>= 2.11.38 / 3.6.9) warns at startup without a limit.
    lines.push(`        maxResponseBodySize: ${TRAEFIK_MAX_RESPONSE_BODY}`);
  });
  return lines.join('\n');
}

/** The identity header names a portal emits (what Traefik must list in `authResponseHeaders`). */
export function identityHeaderNames(portal: PortalConfig): string[] {
  return portal.headers ? portal.headers.map((h) => h.name) : DEFAULT_IDENTITY_HEADERS;
}
