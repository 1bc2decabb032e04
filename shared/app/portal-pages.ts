import { portalPath, ROUTES } from '../config/routes.js';
import type { Config, PortalConfig, ProviderConfig } from '../config/types.js';
import { newNonce } from '../http/page-headers.js';
import { errorView } from '../portal/error-view.js';
import type { Favicon } from '../portal/favicon.js';
import {
  type Backgrounds,
  type DeviceRow,
  type LogoutBanner,
  renderAuthenticatedPage,
  renderErrorPage,
  renderSigninPage,
} from '../portal/pages.js';
import { htmlResponse } from '../portal/security.js';
import { serveStatic } from '../portal/static.js';
import type { CoreDeps } from '../routes/context.js';
import { type PortalRequest, portalUri } from '../routes/context.js';
import type { Session } from '../sessions/types.js';
import type { ErrorPageInput } from './base.js';

const backgrounds = (p: PortalConfig): Backgrounds => ({ medium: p.backgroundMedium, large: p.backgroundLarge });

/** Wires the portal pages and static assets into the use cases (only the login function and standalone bundle these). */
export function portalPages(deps: CoreDeps, favicon?: Favicon) {
  const config: Config = deps.config;
  const assets = { basePath: config.server.basePath, favicon: favicon?.type };
  // Where the page of a link naming no portal sends the user: the default portal, when there is one.
  const homePath = config.defaultPortal ? portalPath(config, config.defaultPortal, true) : undefined;
  return {
    signinPage(
      pr: PortalRequest,
      buttons: { provider: ProviderConfig; href: string }[],
      logout?: LogoutBanner,
    ): Response {
      const nonce = newNonce();
      const page = renderSigninPage({
        portalDisplayName: pr.portal.displayName,
        providers: buttons.map(({ provider, href }) => ({
          name: provider.name,
          displayName: provider.displayName,
          icon: provider.icon,
          color: provider.color,
          href,
        })),
        logout,
        assets,
        backgrounds: backgrounds(pr.portal),
        nonce,
      });
      return htmlResponse(page, { nonce, backgrounds: backgrounds(pr.portal) });
    },
    authenticatedPage(
      pr: PortalRequest,
      session: Session,
      providerDisplayName: string,
      sessions?: { rows: DeviceRow[]; endAction: string },
    ): Response {
      const nonce = newNonce();
      const page = renderAuthenticatedPage({
        portalDisplayName: pr.portal.displayName,
        providerDisplayName,
        user: session.profile.id,
        logoutAction: `${portalUri(deps, pr)}${ROUTES.logout.suffix}`,
        sessions,
        assets,
        backgrounds: backgrounds(pr.portal),
        nonce,
      });
      return htmlResponse(page, { nonce, backgrounds: backgrounds(pr.portal) });
    },
    errorPage({ status, message, hint, requestId, portal }: ErrorPageInput): Response {
      const nonce = newNonce();
      const startPath = portal && `${portal.path.replace(/\/$/, '')}${ROUTES.profile.suffix}`;
      const view = errorView({ status, hint, startPath, homePath });
      return htmlResponse(renderErrorPage({ status, message, view, requestId, assets, nonce }), { status, nonce });
    },
    staticAssets(req: Request): Response | undefined {
      return serveStatic(req, {
        basePath: config.server.basePath,
        disableClientCache: config.dev.disableClientCache,
        favicon,
      });
    },
  };
}
