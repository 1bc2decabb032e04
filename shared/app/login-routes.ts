import { ROUTES } from '../config/routes.js';
import { portalUri } from '../routes/context.js';
import { type LogoutDeps, loggedOutRoute, logoutRoute } from '../routes/logout.js';
import { authenticatedRoute, type ProfileDeps, profileRoute } from '../routes/profile-page.js';
import { type LoginDeps, providersRoute } from '../routes/provider-start.js';
import { endSessionRoute, type SessionsDeps, signedInPage } from '../routes/signed-in-page.js';
import { type SigninDeps, signinRoute } from '../routes/signin.js';
import type { SessionInventory, SessionStore } from '../sessions/types.js';
import type { App } from './base.js';
import { portalRoute } from './register.js';

export interface LoginRoutesDeps
  extends LoginDeps,
    SigninDeps,
    Omit<LogoutDeps, 'sessions'>,
    SessionsDeps,
    Omit<ProfileDeps, 'sessions'> {
  sessions: SessionStore & SessionInventory;
  /** Serves static assets (CSS, icons, favicon) or returns undefined when the path is not one. */
  staticAssets?: (req: Request) => Response | undefined;
}

/** The login function's routes: sign-in chooser, provider start, logout, profile and static assets. */
export function registerLoginRoutes(app: App, deps: LoginRoutesDeps): void {
  portalRoute(app, deps, ROUTES.signin, (pr) => signinRoute(deps, pr));
  portalRoute(app, deps, ROUTES.providers, (pr, c) => providersRoute(deps, pr, c.req.param('provider') ?? ''));
  portalRoute(app, deps, ROUTES.logout, (pr) => logoutRoute(deps, pr));
  portalRoute(app, deps, ROUTES.loggedOut, (pr) => loggedOutRoute(deps, pr));
  const profileDeps = { ...deps, signedInPage: signedInPage.bind(undefined, deps) };
  portalRoute(app, deps, ROUTES.profile, (pr) => profileRoute(profileDeps, pr, 'text'));
  portalRoute(app, deps, ROUTES.profileJson, (pr) => profileRoute(deps, pr, 'json'));
  portalRoute(app, deps, ROUTES.authenticated, (pr) => authenticatedRoute(deps, pr, portalUri(deps, pr)));
  portalRoute(app, deps, ROUTES.endSession, (pr) => endSessionRoute(deps, pr));
  const assets = deps.staticAssets;
  if (assets)
    app.get('*', async (c, next) => {
      const res = assets(c.req.raw);
      if (res) return res;
      await next();
    });
}
