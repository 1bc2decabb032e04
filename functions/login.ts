/**
 * The login function: sign-in chooser, provider start (writes the single-use login state), logout (deletes the
 * session), profile, the "authenticated" page and static assets. It builds authorization URLs only, so it has no
 * access to client secrets or assertions.
 */
import { createApp } from '../shared/app/base.js';
import { registerLoginRoutes } from '../shared/app/login-routes.js';
import { portalPages } from '../shared/app/portal-pages.js';
import type { Config } from '../shared/config/types.js';
import { type Favicon, faviconFromBase64 } from '../shared/portal/favicon.js';
import { buildProviderRegistry } from '../shared/providers/registry.js';
import { SecretResolver } from '../shared/secrets/resolver.js';
import { emfMetrics } from './metrics.js';
import { coldStart, lambdaHandler } from './runtime.js';
import { cachedSessions, sdkTable } from './sdk-table.js';

const rt = coldStart('login', sdkTable);
const pages = portalPages(rt.deps, favicon(rt.config));
const app = createApp(rt.deps, { errorPage: pages.errorPage, metrics: emfMetrics('login') });
registerLoginRoutes(app, {
  ...rt.deps,
  sessions: cachedSessions(rt),
  states: rt.store,
  providers: buildProviderRegistry(rt.config, () => ({ secrets: new SecretResolver() })),
  signinPage: pages.signinPage,
  authenticatedPage: pages.authenticatedPage,
  staticAssets: pages.staticAssets,
});

export const handler = lambdaHandler(app);

/** `server.favicon` is base64 on AWS (cdk synth refuses a URL, which would be a download per cold start). */
function favicon(config: Config): Favicon | undefined {
  const value = config.server.favicon;
  if (!value) return undefined;
  const favicon = faviconFromBase64(value);
  if (!favicon) throw new Error('server.favicon: on AWS it must be a base64 PNG, ICO or SVG image');
  return favicon;
}
