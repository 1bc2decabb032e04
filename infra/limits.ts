/**
 * Limits on what anonymous traffic can cost and take (issue #12 §2): HTTP API throttling (tighter on the routes that
 * write for anonymous callers), reserved concurrency per function, the on-demand table's request-unit ceilings, and
 * CloudWatch alarms on each. All on by default; docs/aws.md ("Limits") explains each and how to change it.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { FunctionName } from '../functions/config-asset.js';
import { validationError } from './errors.js';

/** API Gateway throttling: steady requests per second and the token bucket's size. */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface Limits {
  /** Every route of the HTTP API (the stage's default route settings). */
  readonly apiThrottle: Throttle;
  /**
   * Each route that writes for an anonymous caller: `providers/{provider}` (a login state) and the OAuth2 callback
   * (a conditional delete, then a session). Route-level settings: one bucket per route, shared by all callers.
   */
  readonly loginThrottle: Throttle;
  /**
   * Reserved concurrency per function: the most instances it runs at once, and a share no other function of the
   * account can take. `false`: none (the function shares the account's unreserved pool, without a cap).
   */
  readonly reservedConcurrency: Readonly<Record<FunctionName, number | false>>;
  /** The on-demand table's ceiling in read request units per second (`maxReadRequestUnits`). */
  readonly tableMaxReadRequestUnits: number;
  /** The on-demand table's ceiling in write request units per second (`maxWriteRequestUnits`). */
  readonly tableMaxWriteRequestUnits: number;
}

/** What `limits` may override (each key alone; the rest keep their defaults). */
export interface LimitsProps {
  readonly apiThrottle?: Partial<Throttle>;
  readonly loginThrottle?: Partial<Throttle>;
  readonly reservedConcurrency?: Partial<Record<FunctionName, number | false>>;
  readonly tableMaxReadRequestUnits?: number;
  readonly tableMaxWriteRequestUnits?: number;
}

/**
 * The defaults (docs/aws.md, "Limits", gives the reasoning): a login flow is a few requests per human, so 20 a second
 * per login route is far above any real sign-in rate; verify gets a reservation no flood of the other two can take.
 */
export const DEFAULT_LIMITS: Limits = {
  apiThrottle: { rateLimit: 1000, burstLimit: 2000 },
  loginThrottle: { rateLimit: 20, burstLimit: 50 },
  reservedConcurrency: { verify: 100, login: 10, callback: 10 },
  tableMaxReadRequestUnits: 2000,
  tableMaxWriteRequestUnits: 200,
};

/**
 * The defaults with `props` applied, checked.
 * @throws ValidationError naming the prop, for a value AWS would refuse at deploy time
 */
export function resolveLimits(scope: Construct, props: LimitsProps = {}): Limits {
  const limits: Limits = {
    apiThrottle: { ...DEFAULT_LIMITS.apiThrottle, ...props.apiThrottle },
    loginThrottle: { ...DEFAULT_LIMITS.loginThrottle, ...props.loginThrottle },
    reservedConcurrency: { ...DEFAULT_LIMITS.reservedConcurrency, ...props.reservedConcurrency },
    tableMaxReadRequestUnits: props.tableMaxReadRequestUnits ?? DEFAULT_LIMITS.tableMaxReadRequestUnits,
    tableMaxWriteRequestUnits: props.tableMaxWriteRequestUnits ?? DEFAULT_LIMITS.tableMaxWriteRequestUnits,
  };
  const problems: string[] = [];
  const whole = (path: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) problems.push(`limits.${path} must be a whole number ≥ ${min} (got ${v})`);
  };
  for (const key of ['apiThrottle', 'loginThrottle'] as const) {
    const t = limits[key];
    if (!(Number.isFinite(t.rateLimit) && t.rateLimit > 0))
      problems.push(`limits.${key}.rateLimit must be a number > 0 (got ${t.rateLimit})`);
    whole(`${key}.burstLimit`, t.burstLimit, 1);
  }
  for (const [fn, n] of Object.entries(limits.reservedConcurrency))
    if (n !== false) whole(`reservedConcurrency.${fn}`, n, 1);
  whole('tableMaxReadRequestUnits', limits.tableMaxReadRequestUnits, 1);
  whole('tableMaxWriteRequestUnits', limits.tableMaxWriteRequestUnits, 1);
  if (problems.length > 0) throw validationError('ForwardAuthLimits', `ForwardAuth: ${problems.join('; ')}`, scope);
  return limits;
}

/** Share of a ceiling at which the "near the limit" alarms fire. */
export const ALARM_SHARE = 0.8;

/**
 * CloudWatch alarms, one per limit: each function's throttles and (when it has a reservation) its concurrency near
 * the reservation, the table's throttled requests, and its consumed write units near the ceiling. With a topic,
 * each alarm notifies it on ALARM and on OK.
 */
export function addLimitAlarms(
  scope: Construct,
  o: {
    limits: Limits;
    functions: Record<FunctionName, lambda.Function>;
    table: dynamodb.TableV2;
    topic?: sns.ITopic;
  },
): cloudwatch.Alarm[] {
  const minute = Duration.minutes(1);
  const alarms: cloudwatch.Alarm[] = [];
  const add = (id: string, props: cloudwatch.AlarmProps) => {
    const alarm = new cloudwatch.Alarm(scope, id, {
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    if (o.topic) {
      alarm.addAlarmAction(new cwActions.SnsAction(o.topic));
      alarm.addOkAction(new cwActions.SnsAction(o.topic));
    }
    alarms.push(alarm);
  };
  for (const name of ['verify', 'login', 'callback'] as const) {
    const fn = o.functions[name];
    const id = `${name[0]?.toUpperCase()}${name.slice(1)}`;
    add(`${id}ThrottlesAlarm`, {
      alarmDescription: `tfa-serverless ${name}: invocations throttled (reserved concurrency or the account's limit reached)`,
      metric: fn.metricThrottles({ period: minute, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const reserved = o.limits.reservedConcurrency[name];
    if (reserved !== false)
      add(`${id}ConcurrencyAlarm`, {
        alarmDescription: `tfa-serverless ${name}: concurrency at ${ALARM_SHARE * 100}% of its reservation (${reserved})`,
        metric: fn.metric('ConcurrentExecutions', { period: minute, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: Math.max(1, Math.floor(reserved * ALARM_SHARE)),
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
  }
  add('TableThrottlesAlarm', {
    alarmDescription:
      'tfa-serverless sessions table: requests throttled (the maxRead/WriteRequestUnits ceiling, or a hot partition)',
    metric: new cloudwatch.MathExpression({
      expression: 'FILL(r, 0) + FILL(w, 0)',
      usingMetrics: {
        r: o.table.metric('ReadThrottleEvents', { period: minute, statistic: cloudwatch.Stats.SUM }),
        w: o.table.metric('WriteThrottleEvents', { period: minute, statistic: cloudwatch.Stats.SUM }),
      },
      label: 'Throttle events',
      period: minute,
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  });
  add('TableWriteUnitsAlarm', {
    alarmDescription: `tfa-serverless sessions table: consumed write units at ${ALARM_SHARE * 100}% of maxWriteRequestUnits (${o.limits.tableMaxWriteRequestUnits}/s)`,
    // The metric is a per-minute sum; the ceiling is per second.
    metric: o.table.metricConsumedWriteCapacityUnits({ period: minute, statistic: cloudwatch.Stats.SUM }),
    threshold: Math.floor(o.limits.tableMaxWriteRequestUnits * 60 * ALARM_SHARE),
    evaluationPeriods: 2,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  });
  return alarms;
}
