import type { RequestMetrics } from '../shared/app/base.js';
import type { FunctionName } from './config-asset.js';
import { METRICS_NAMESPACE } from './metric-names.js';

export { METRICS_NAMESPACE };

/** CloudWatch takes at most 100 values per metric in one EMF document. */
const MAX_VALUES = 100;

export interface EmfOptions {
  write?: (line: string) => void;
  now?: () => number;
  /** A request this long after the last flush flushes. @default 10 s */
  flushMs?: number;
}

/**
 * CloudWatch Embedded Metric Format, aggregated per container: `Requests` (Count; read its Sum) and `Latency`
 * (Milliseconds, every request's value) by function and status class, plus `ColdStart` once. A line per request
 * would cost as much in CloudWatch Logs as the Lambda request itself, so requests are counted in memory and written
 * as one document per status class: at the container's first request, whenever 100 latencies are buffered, and at
 * the first request at least `flushMs` after the last flush. Nothing runs between requests (Lambda freezes the
 * container), so a container that goes idle holds what it counted since its last flush (at most `flushMs` of
 * traffic, 99 requests per class) until its next request, and loses it if Lambda retires it first; Lambda's own
 * `Invocations`, `Errors` and `Duration` metrics are exact.
 */
export function emfMetrics(fn: FunctionName, options: EmfOptions = {}): RequestMetrics {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const now = options.now ?? Date.now;
  const flushMs = options.flushMs ?? 10_000;
  const pending = new Map<string, { requests: number; latency: number[] }>();
  let cold = true;
  let lastFlush = Number.NEGATIVE_INFINITY;

  const flush = (at: number) => {
    for (const [statusClass, p] of pending) {
      const metrics = [
        { Name: 'Requests', Unit: 'Count' },
        { Name: 'Latency', Unit: 'Milliseconds' },
        ...(cold ? [{ Name: 'ColdStart', Unit: 'Count' }] : []),
      ];
      write(
        JSON.stringify({
          _aws: {
            Timestamp: at,
            CloudWatchMetrics: [
              { Namespace: METRICS_NAMESPACE, Dimensions: [['Function', 'StatusClass']], Metrics: metrics },
            ],
          },
          Function: fn,
          StatusClass: statusClass,
          Requests: p.requests,
          Latency: p.latency,
          ...(cold ? { ColdStart: 1 } : {}),
        }),
      );
      cold = false;
    }
    pending.clear();
    lastFlush = at;
  };

  return ({ status, durationMs }) => {
    const statusClass = `${Math.floor(status / 100)}xx`;
    const p = pending.get(statusClass) ?? { requests: 0, latency: [] };
    pending.set(statusClass, p);
    p.requests++;
    p.latency.push(durationMs);
    const at = now();
    if (p.latency.length >= MAX_VALUES || at - lastFlush >= flushMs) flush(at);
  };
}
