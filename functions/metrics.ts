import type { RequestMetrics } from '../shared/app/base.js';
import type { FunctionName } from './config-asset.js';

export const METRICS_NAMESPACE = 'tfa-serverless';

/**
 * CloudWatch Embedded Metric Format for every request: `Requests` (Count) and `Latency` (Milliseconds) by function and
 * status class, plus `ColdStart` on a container's first request. The fields ride on the access-log line, so metrics
 * cost no extra log volume when access logs are on.
 */
export function emfMetrics(
  fn: FunctionName,
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  now: () => number = Date.now,
): RequestMetrics {
  let cold = true;
  return ({ status, durationMs }) => {
    const metrics = [
      { Name: 'Requests', Unit: 'Count' },
      { Name: 'Latency', Unit: 'Milliseconds' },
      ...(cold ? [{ Name: 'ColdStart', Unit: 'Count' }] : []),
    ];
    const fields: Record<string, unknown> = {
      _aws: {
        Timestamp: now(),
        CloudWatchMetrics: [
          { Namespace: METRICS_NAMESPACE, Dimensions: [['Function', 'StatusClass']], Metrics: metrics },
        ],
      },
      Function: fn,
      StatusClass: `${Math.floor(status / 100)}xx`,
      Requests: 1,
      Latency: durationMs,
      ...(cold ? { ColdStart: 1 } : {}),
    };
    cold = false;
    return { fields, writeAlone: (f) => write(JSON.stringify(f)) };
  };
}
