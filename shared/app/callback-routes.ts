import { ROUTES } from '../config/routes.js';
import { type BackchannelDeps, backchannelLogoutRoute } from '../routes/backchannel-logout.js';
import { type CallbackDeps, callbackRoute } from '../routes/callback.js';
import { renewRoute } from '../routes/renew.js';
import type { App } from './base.js';
import { portalRoute } from './register.js';

/** The callback function's routes: the OAuth2 redirect target, session renewal and back-channel logout. */
export function registerCallbackRoutes(app: App, deps: CallbackDeps & BackchannelDeps): void {
  portalRoute(app, deps, ROUTES.callback, (pr) => callbackRoute(deps, pr));
  portalRoute(app, deps, ROUTES.renew, (pr) => renewRoute(deps, pr));
  portalRoute(app, deps, ROUTES.backchannelLogout, (pr) => backchannelLogoutRoute(deps, pr));
}
