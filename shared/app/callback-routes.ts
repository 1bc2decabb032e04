import { ROUTES } from '../config/routes.js';
import { type BackchannelDeps, backchannelLogoutRoute } from '../routes/backchannel-logout.js';
import { type CallbackDeps, callbackRoute } from '../routes/callback.js';
import type { App } from './base.js';
import { portalRoute } from './register.js';

/** The callback function's route: the OAuth2 redirect target. */
export function registerCallbackRoutes(app: App, deps: CallbackDeps & BackchannelDeps): void {
  portalRoute(app, deps, ROUTES.callback, (pr) => callbackRoute(deps, pr));
  portalRoute(app, deps, ROUTES.backchannelLogout, (pr) => backchannelLogoutRoute(deps, pr));
}
