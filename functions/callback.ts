/**
 * The callback function: the OAuth2 redirect target. It consumes the login state, exchanges the code (the only
 * function that reads Secrets Manager or calls STS for a client assertion) and creates the session.
 */
import { createApp } from '../shared/app/base.js';
import { registerCallbackRoutes } from '../shared/app/callback-routes.js';
import { portalPages } from '../shared/app/portal-pages.js';
import { providerDeps } from '../shared/providers/deps.js';
import { buildProviderRegistry } from '../shared/providers/registry.js';
import { SecretResolver } from '../shared/secrets/resolver.js';
import { fetchSecretString } from '../shared/secrets/secrets-manager.js';
import { emfMetrics } from './metrics.js';
import { coldStart, lambdaHandler } from './runtime.js';
import { sdkTable } from './sdk-table.js';

/** Minutes, explicitly (Powertools would cache for 5 s): a secret put with `put-secret-value` applies within this. */
const SECRET_CACHE_TTL_MS = 5 * 60_000;

const rt = coldStart('callback', sdkTable);
const secrets = new SecretResolver({ secretsManager: (id) => fetchSecretString(id), cacheTtlMs: SECRET_CACHE_TTL_MS });
const providers = buildProviderRegistry(rt.config, providerDeps(rt.env, secrets));
// Browser-facing failures (a replayed or expired login) get the portal's HTML error page, as on the standalone server.
const app = createApp(rt.deps, { errorPage: portalPages(rt.deps).errorPage, metrics: emfMetrics('callback') });
registerCallbackRoutes(app, { ...rt.deps, sessions: rt.store, states: rt.store, backchannel: rt.store, providers });

export const handler = lambdaHandler(app);
