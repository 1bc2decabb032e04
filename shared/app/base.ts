import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { ErrorFormat } from '../config/routes.js';
import type { ErrorHint } from '../errors.js';
import { errorDetail, errorHint, errorResponse, publicError } from '../http/errors.js';
import { type Logger, maskQuery } from '../log.js';
import type { CoreDeps } from '../routes/context.js';

/** The portal a request was routed to, for its error page's links (set at registration, once the portal is known). */
export interface RoutedPortal {
  name: string;
  displayName: string;
  /** The portal's root path on this server (`{basePath}[/portals/{name}]`): the error pages link relative to it. */
  path: string;
}

/** What a browser's error page shows: the public error, the page hints it carries, the request id and portal. */
export interface ErrorPageInput {
  status: number;
  /** The public message (what non-browser clients get). */
  message: string;
  hint: ErrorHint;
  requestId: string;
  portal?: RoutedPortal;
}

/** Renders a browser-facing error page (only the login and callback functions carry one). */
export type ErrorPage = (e: ErrorPageInput) => Response;

export type Env = {
  Variables: {
    requestId: string;
    log: Logger;
    /** The error the funnel rendered, for the access-log line. */
    error?: unknown;
    /** The portal of the matched route, once found (error pages link back to it). */
    portal?: RoutedPortal;
    /** How the matched route reports errors; set at registration (`portalRoute`, `plainRoute`), read by the funnel. */
    errorFormat?: ErrorFormat;
    /** The request is a forward-auth check (`GET P`): its 2xx answers are logged per `logs.sampleSuccessfulChecks`. */
    forwardAuthCheck?: boolean;
  };
};

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
  /** Told of every finished request, as the access log is (the standalone server's Prometheus metrics). */
  observe?: (r: FinishedRequest) => void;
  /** `logs.sampleSuccessfulChecks` when the config leaves it unset: 1 on the standalone server, 0 on Lambda. */
  defaultCheckSampling?: number;
}

/** The request id: the trusted header's value when one is configured and the value is safe, else a fresh UUID. */
export function requestIdFor(trusted: string | undefined): string {
  return trusted && SAFE_REQUEST_ID.test(trusted) ? trusted : randomUUID();
}

/** A finished request, as the core's middleware and the verify fast path report it. */
export interface FinishedRequest {
  status: number;
  method: string;
  /** Path and query (the URL is parsed only when the line is written). */
  target: () => string;
  /** Raw X-Forwarded-For. */
  forwardedFor: string | undefined;
  durationMs: number;
  /** A forward-auth check (`GET P`): its 2xx answers are logged per `logs.sampleSuccessfulChecks`. */
  check: boolean;
  error?: unknown;
  /** The request's logger, or the id to make one with (only when a line is written). */
  log: Logger | { id: string };
}

/**
 * What follows every request: the metrics, then the access-log line (successful checks per
 * `logs.sampleSuccessfulChecks`, health checks per `logs.omitHealthChecks`, everything else by level).
 */
export function requestRecorder(deps: CoreDeps, options: AppOptions = {}): (r: FinishedRequest) => void {
  const sampling = deps.config.logs.sampleSuccessfulChecks ?? options.defaultCheckSampling ?? 1;
  return (r) => {
    options.metrics?.({ status: r.status, durationMs: r.durationMs });
    options.observe?.(r);
    if (r.status < 300 && r.check && !(sampling >= 1 || Math.random() < sampling)) return;
    const level = r.status >= 500 ? 'error' : r.status >= 400 ? 'warn' : 'info';
    if (!deps.log.enabled(level)) return;
    const target = r.target();
    const q = target.indexOf('?');
    const pathname = q < 0 ? target : target.slice(0, q);
    if ((pathname === '/healthz' && deps.config.logs.omitHealthChecks) || r.method === 'OPTIONS') return;
    // Given an id rather than a logger, put it first among the fields: the line reads as a child logger's would.
    const [log, id] = 'id' in r.log ? [deps.log, { id: r.log.id }] : [r.log, {}];
    const error = r.error;
    log[level](error === undefined ? 'HTTP Request' : 'Failed request', {
      ...id,
      status: r.status,
      method: r.method,
      path: maskQuery(target),
      client: r.forwardedFor?.split(',')[0]?.trim(),
      duration: r.durationMs,
      ...(error === undefined ? {} : { err: error, detail: errorDetail(error) }),
    });
  };
}

/** Milliseconds since `start` (a `performance.now()`), to 0.01 ms. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

export function createApp(deps: CoreDeps, options: AppOptions = {}): App {
  const app = new Hono<Env>();
  const idHeader = deps.config.server.trustedRequestIdHeader;
  const record = requestRecorder(deps, options);

  app.use('*', async (c, next) => {
    const start = performance.now();
    const requestId = requestIdFor(idHeader ? c.req.header(idHeader) : undefined);
    const log = deps.log.child({ id: requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    await next();
    c.res.headers.set('X-Request-Id', requestId);
    // Every answer, errors and 404s included: no browser may sniff a text or JSON body into HTML or script.
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    record({
      status: c.res.status,
      method: c.req.method,
      target: () => {
        const url = new URL(c.req.url);
        return url.pathname + url.search;
      },
      forwardedFor: c.req.header('x-forwarded-for'),
      durationMs: elapsedMs(start),
      check: c.get('forwardAuthCheck') === true,
      error: c.get('error'),
      log,
    });
  });

  app.notFound((c) => c.text('404 page not found', 404));
  // The one place errors become responses: in the format the matched route declared (text when none did).
  app.onError((err, c) => {
    c.set('error', err);
    const format = c.get('errorFormat') ?? 'text';
    if (format === 'page' && options.errorPage && (c.req.header('accept') ?? '').includes('text/html')) {
      const { status, message } = publicError(err);
      const { requestId, portal } = { requestId: c.get('requestId'), portal: c.get('portal') };
      return options.errorPage({ status, message, hint: errorHint(err), requestId, portal });
    }
    return errorResponse(err, format === 'json' ? 'json' : 'text');
  });
  return app;
}
