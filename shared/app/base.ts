import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import type { PortalConfig } from '../config/types.js';
import { errorDetail, errorResponse, notFound, publicError } from '../http/errors.js';
import { type Logger, maskQuery } from '../log.js';
import { type CoreDeps, type PortalRequest, portalRequest } from '../routes/context.js';

/** Renders a browser-facing error page (only the login and callback functions carry one). */
export type ErrorPage = (status: number, message: string, requestId: string) => Response;

export type Env = {
  Variables: {
    requestId: string;
    log: Logger;
    /** The error the funnel rendered, for the access-log line. */
    error?: unknown;
    /** How the matched route reports errors; set at registration (`portalRoute`, `plainRoute`), read by the funnel. */
    errorFormat?: ErrorFormat;
    /** The request is a forward-auth check (`GET P`): its 2xx answers are logged per `logs.sampleSuccessfulChecks`. */
    forwardAuthCheck?: boolean;
  };
};

/**
 * How a route reports errors: upstream's `Error: <message>` text, `{"error"}` JSON, or `page`: the HTML error page
 * (with the request id) when the client is a browser and the app has a renderer, else text.
 */
export type ErrorFormat = 'text' | 'json' | 'page';
export type App = Hono<Env>;

const SAFE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The Hono app shared by the standalone server and the three Lambda functions: request id, one access-log line per
 * request, and the single place where errors become HTTP responses.
 */
/** Records every request's status and duration (CloudWatch EMF on Lambda); independent of the access log. */
export type RequestMetrics = (m: { status: number; durationMs: number }) => void;

export interface AppOptions {
  errorPage?: ErrorPage;
  metrics?: RequestMetrics;
  /** `logs.sampleSuccessfulChecks` when the config leaves it unset: 1 on the standalone server, 0 on Lambda. */
  defaultCheckSampling?: number;
}

export function createApp(deps: CoreDeps, options: AppOptions = {}): App {
  const app = new Hono<Env>();
  const idHeader = deps.config.server.trustedRequestIdHeader;
  const sampling = deps.config.logs.sampleSuccessfulChecks ?? options.defaultCheckSampling ?? 1;

  app.use('*', async (c, next) => {
    const start = performance.now();
    const trusted = idHeader ? c.req.header(idHeader) : undefined;
    const requestId = trusted && SAFE_REQUEST_ID.test(trusted) ? trusted : randomUUID();
    const log = deps.log.child({ id: requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    await next();
    c.res.headers.set('X-Request-Id', requestId);

    const status = c.res.status;
    const duration = Math.round((performance.now() - start) * 100) / 100;
    options.metrics?.({ status, durationMs: duration });
    // Successful checks are the bulk of the traffic: logged per `logs.sampleSuccessfulChecks`; everything else always.
    if (status < 300 && c.get('forwardAuthCheck') && !(sampling >= 1 || Math.random() < sampling)) return;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (!log.enabled(level)) return;
    const url = new URL(c.req.url);
    const omitted = (url.pathname === '/healthz' && deps.config.logs.omitHealthChecks) || c.req.method === 'OPTIONS';
    if (omitted) return;
    const error = c.get('error');
    const fields = {
      status,
      method: c.req.method,
      path: maskQuery(url.pathname + url.search),
      client: c.req.header('x-forwarded-for')?.split(',')[0]?.trim(),
      duration,
      ...(error === undefined ? {} : { err: error, detail: errorDetail(error) }),
    };
    log[level](error === undefined ? 'HTTP Request' : 'Failed request', fields);
  });

  app.notFound((c) => c.text('404 page not found', 404));
  // The one place errors become responses: in the format the matched route declared (text when none did).
  app.onError((err, c) => {
    c.set('error', err);
    const format = c.get('errorFormat') ?? 'text';
    if (format === 'page' && options.errorPage && (c.req.header('accept') ?? '').includes('text/html')) {
      const { status, message } = publicError(err);
      return options.errorPage(status, message, c.get('requestId'));
    }
    return errorResponse(err, format === 'json' ? 'json' : 'text');
  });
  return app;
}

/** `/` + suffix patterns for a portal route: `{bp}/portals/:portal{suffix}` and, with a default portal, `{bp}{suffix}`. */
function patterns(deps: CoreDeps, suffix: string): { path: string; portal?: string }[] {
  const bp = deps.config.server.basePath;
  const out: { path: string; portal?: string }[] = [{ path: `${bp}/portals/:portal${suffix}` }];
  const def = deps.config.defaultPortal;
  if (def) out.push({ path: `${bp}${suffix}` || '/', portal: def });
  return out;
}

function findPortal(deps: CoreDeps, name: string): PortalConfig {
  const lower = name.toLowerCase();
  const portal = deps.config.portals.find((p) => p.name === lower);
  if (!portal) throw notFound('Portal not found');
  return portal;
}

export type PortalHandler = (pr: PortalRequest, c: Context<Env>) => Response | Promise<Response>;

/** Registers a portal route under every path it has (long form, trailing-slash form for the root, default portal). */
export function portalRoute(
  app: App,
  deps: CoreDeps,
  method: 'GET' | 'POST',
  suffixes: string[],
  format: ErrorFormat,
  handler: PortalHandler,
): void {
  const seen = new Set<string>();
  for (const suffix of suffixes)
    for (const { path, portal } of patterns(deps, suffix)) {
      if (seen.has(path)) continue;
      seen.add(path);
      app.on(method, path, (c) => {
        c.set('errorFormat', format);
        const p = findPortal(deps, portal ?? c.req.param('portal') ?? '');
        return handler(portalRequest(deps, c.req.raw, p, portal !== undefined, c.get('requestId'), c.get('log')), c);
      });
    }
}

/** Registers a route that is not under a portal prefix (API, health). */
export function plainRoute(
  app: App,
  method: 'GET' | 'POST',
  paths: string[],
  format: ErrorFormat,
  handler: (c: Context<Env>) => Response | Promise<Response>,
): void {
  for (const path of new Set(paths))
    app.on(method, path, (c) => {
      c.set('errorFormat', format);
      return handler(c);
    });
}

export { findPortal };
