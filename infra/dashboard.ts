/**
 * The optional CloudWatch dashboard (`dashboard: true`): one page with what an operator looks at first. Requests,
 * decisions, latency, cold starts and logins come from the EMF metrics the functions write with their logs
 * (functions/metrics.ts: namespace `tfa-serverless`, dimensions Function and StatusClass, metrics Requests, Latency,
 * ColdStart); invocations and throttles from Lambda's own metrics, which are exact.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { FunctionName } from '../functions/config-asset.js';
import { METRICS_NAMESPACE } from '../functions/metric-names.js';

const FUNCTIONS: FunctionName[] = ['verify', 'login', 'callback'];
const PERIOD = Duration.minutes(1);

/** What each status class of a function's answers means on the dashboard (verify: decisions; callback: logins). */
const MEANING: Partial<Record<FunctionName, Record<string, string>>> = {
  verify: { '2xx': 'allowed', '3xx': 'sent to sign in', '4xx': 'denied (401, 403, 400)', '5xx': 'failed' },
  callback: { '3xx': 'signed in', '4xx': 'refused (expired, cancelled, rejected)', '5xx': 'failed' },
};

/** An EMF metric of one function and status class. */
function emf(fn: FunctionName, statusClass: string, metricName: string, statistic: string, label: string) {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { Function: fn, StatusClass: statusClass },
    statistic,
    period: PERIOD,
    label,
  });
}

/** The sum over status classes of an EMF metric of one function (EMF dimensions are always both). */
function allClasses(fn: FunctionName, metricName: string, statistic: string, label: string): cloudwatch.IMetric {
  // Ids are unique within a graph: one set per function.
  const classes = ['2xx', '3xx', '4xx', '5xx'].map((c) => ({ id: `${fn}_${c[0]}`, c }));
  const usingMetrics = Object.fromEntries(classes.map(({ id, c }) => [id, emf(fn, c, metricName, statistic, c)]));
  return new cloudwatch.MathExpression({
    // A class with no request in a period has no data point: count it as 0, not as a gap in the sum.
    expression: classes.map(({ id }) => `FILL(${id}, 0)`).join(' + '),
    usingMetrics,
    period: PERIOD,
    label,
  });
}

export function addDashboard(
  scope: Construct,
  o: { functions: Record<FunctionName, lambda.IFunction>; dashboardName?: string },
): cloudwatch.Dashboard {
  const byClass = (fn: FunctionName) =>
    Object.entries(MEANING[fn] ?? {}).map(([c, meaning]) => emf(fn, c, 'Requests', 'Sum', `${c} ${meaning}`));
  const latency = FUNCTIONS.flatMap((fn) => ['p50', 'p99'].map((p) => successLatency(fn, p)));
  const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
    new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...extra });

  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: o.dashboardName,
    defaultInterval: Duration.hours(3),
  });
  dashboard.addWidgets(
    graph(
      'Requests by function',
      FUNCTIONS.map((fn) => allClasses(fn, 'Requests', 'Sum', fn)),
      { stacked: true },
    ),
    graph('Forward-auth decisions (verify)', byClass('verify'), { stacked: true }),
  );
  dashboard.addWidgets(
    graph('Latency in the function, p50 and p99 (ms)', latency),
    graph('Logins by result (callback)', byClass('callback'), { stacked: true }),
  );
  dashboard.addWidgets(
    graph(
      'Cold starts',
      FUNCTIONS.map((fn) => allClasses(fn, 'ColdStart', 'Sum', fn)),
    ),
    graph(
      'Throttles (Lambda)',
      FUNCTIONS.map((fn) => o.functions[fn].metricThrottles({ period: PERIOD, statistic: 'Sum', label: fn })),
    ),
  );
  return dashboard;
}

/**
 * A function's latency percentile over its successful answers. Percentiles of status classes cannot be added, and the
 * successes are where a working server's latency lives: 2xx for verify (allowed checks) and login (pages), 3xx for
 * the callback (its 307 back to the app).
 */
function successLatency(fn: FunctionName, percentile: string): cloudwatch.IMetric {
  const statusClass = fn === 'callback' ? '3xx' : '2xx';
  return emf(fn, statusClass, 'Latency', percentile, `${fn} ${percentile} (${statusClass})`);
}
