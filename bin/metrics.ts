/**
 * Prometheus metrics of the standalone server (`metrics.enabled`), with prom-client: the exposition format, label
 * escaping, histograms and the Node process metrics are its job. Standalone only: the Lambda functions write
 * CloudWatch EMF (functions/metrics.ts), and nothing under functions/ or shared/ imports this file.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { FinishedRequest } from '../shared/app/base.js';
import { fillPath, ROUTES, routePaths } from '../shared/config/routes.js';
import type { Config } from '../shared/config/types.js';
import { findProvider } from '../shared/routes/context.js';
import { oauthState } from '../shared/routes/state-cookie.js';

/** What a forward-auth check's status means (upstream's table; 401 and 303 both send the user to sign in). */
const DECISIONS: Record<number, string> = {
  200: 'allowed',
  303: 'sign_in',
  401: 'sign_in',
  403: 'denied',
  400: 'invalid',
};

/** What a callback's status says about the login (README, "The callback answers honestly"). */
const LOGIN_RESULTS: Record<number, string> = {
  307: 'success',
  400: 'invalid_request',
  401: 'state_rejected',
  409: 'unknown_provider',
  424: 'provider_refused',
  502: 'provider_unreachable',
  503: 'unavailable',
};

export class StandaloneMetrics {
  readonly registry = new Registry();
  private readonly decisions: Counter<'outcome'>;
  private readonly logins: Counter<'portal' | 'provider' | 'result'>;
  private readonly cacheLookups: Counter<'result'>;
  private readonly store: Histogram<'operation' | 'result'>;
  /** Exact callback paths (each portal's, and the default portal's short route) → portal name. */
  private readonly callbacks = new Map<string, string>();

  constructor(private readonly config: Config) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.decisions = new Counter({
      name: 'tfa_forward_auth_decisions_total',
      help: 'Forward-auth checks (GET P) by outcome: allowed, sign_in (303 or 401), denied (403), invalid (400), error',
      labelNames: ['outcome'],
      registers,
    });
    this.logins = new Counter({
      name: 'tfa_logins_total',
      help: 'Completed callbacks (P/oauth2/callback) by portal, provider and result',
      labelNames: ['portal', 'provider', 'result'],
      registers,
    });
    this.cacheLookups = new Counter({
      name: 'tfa_verify_cache_lookups_total',
      help: 'Session lookups of the verify cache (sessions.verifyCacheTTL) by result: hit or miss',
      labelNames: ['result'],
      registers,
    });
    const lookups = this.cacheLookups;
    new Gauge({
      name: 'tfa_verify_cache_hit_ratio',
      help: 'Share of verify-cache lookups answered from the cache since start (0 before the first lookup)',
      registers,
      async collect() {
        const values = (await lookups.get()).values;
        const count = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0;
        const total = count('hit') + count('miss');
        this.set(total === 0 ? 0 : count('hit') / total);
      },
    });
    this.store = new Histogram({
      name: 'tfa_store_request_duration_seconds',
      help: 'Session-store (DynamoDB or the embedded store) requests by operation and result (ok or error)',
      labelNames: ['operation', 'result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    for (const { path, portal: fixed } of routePaths(config, ROUTES.callback, { aliases: true }))
      for (const portal of config.portals)
        if (fixed === undefined || fixed === portal.name)
          this.callbacks.set(fillPath(path, { portal: portal.name }), portal.name);
  }

  /** Every finished request (the core's and the verify fast path's): decisions and logins. */
  readonly observe = (r: FinishedRequest): void => {
    if (r.check) {
      this.decisions.inc({ outcome: DECISIONS[r.status] ?? (r.status >= 500 ? 'error' : 'other') });
      return;
    }
    if (r.method !== 'GET') return;
    const target = r.target();
    const q = target.indexOf('?');
    const portalName = this.callbacks.get(q < 0 ? target : target.slice(0, q));
    if (portalName === undefined) return;
    this.logins.inc({
      portal: portalName,
      provider: this.providerOf(portalName, q < 0 ? '' : target.slice(q + 1)),
      result: LOGIN_RESULTS[r.status] ?? (r.status >= 500 ? 'error' : 'other'),
    });
  };

  /** Verify-cache lookups (CachedSessionStore's `onLookup`). */
  readonly cacheLookup = (hit: boolean): void => {
    this.cacheLookups.inc({ result: hit ? 'hit' : 'miss' });
  };

  /** Times every command of the store's DynamoDB client (GetItem, PutItem, …), failures included. */
  instrument(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const end = this.store.startTimer({ operation: context.commandName?.replace(/Command$/, '') ?? 'unknown' });
        try {
          const out = await next(args);
          end({ result: 'ok' });
          return out;
        } catch (err) {
          end({ result: 'error' });
          throw err;
        }
      },
      { step: 'initialize', name: 'tfaStoreMetrics' },
    );
  }

  /** `GET /metrics` in the Prometheus text format; anything else 404 (on the metrics listener). */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' })
        .end('405 method not allowed');
      return;
    }
    const body = await this.registry.metrics();
    res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /**
   * The provider a callback's `state` names, when the portal has it; else `unknown`. The state comes from the
   * request, so only configured names become label values (an attacker cannot grow the series).
   */
  private providerOf(portalName: string, query: string): string {
    const state = new URLSearchParams(query).get('state');
    const name = state ? oauthState.decode(state)?.provider : undefined;
    const portal = this.config.portals.find((p) => p.name === portalName);
    const provider = name && portal ? findProvider(portal, name) : undefined;
    return provider?.name ?? 'unknown';
  }
}
