/**
 * P7: dollars per million signed-in forward-auth checks on AWS, from measured handler times, cache-miss rate and log
 * bytes, and the same traffic on ALB `authenticate-oidc` and on oauth2-proxy behind an ALB on a small Fargate task.
 *
 * List prices, us-east-1, arm64, as published by AWS when this was written (no network here to re-check them):
 * change the constants if AWS changes its prices.
 */
export const PRICES = {
  lambdaRequestPerMillion: 0.2,
  /** arm64 duration, per GB-second (first 7.5 billion GB-s a month). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand, per million read request units (a strongly consistent read of ≤ 4 KB is one). */
  dynamoReadPerMillion: 0.125,
  /** CloudWatch Logs standard ingestion, per GB. */
  logsIngestionPerGb: 0.5,
  /** API Gateway HTTP API, per million requests (first 300 million a month). */
  httpApiPerMillion: 1.0,
  /** ALB: per hour and per LCU-hour. */
  albHour: 0.0225,
  albLcuHour: 0.008,
  /** Fargate Linux/ARM: per vCPU-hour and per GB-hour. */
  fargateArmVcpuHour: 0.03238,
  fargateArmGbHour: 0.00356,
} as const;

const HOURS_PER_MONTH = 730;

export interface CostInputs {
  /** Function memory (MB): the template's default. */
  memoryMb: number;
  /** Handler time of a cache hit and of a miss (ms), measured in process. */
  hitMs: number;
  missMs: number;
  /** Share of checks that read DynamoDB. */
  missRate: number;
  /** Log bytes written per check by our code (access-log and metric lines), and by the Lambda platform. */
  logBytesPerCheck: number;
  platformBytesPerCheck: number;
}

export interface CostBreakdown {
  lambdaRequests: number;
  lambdaDuration: number;
  dynamoReads: number;
  logs: number;
  functionUrl: number;
  httpApiFee: number;
  httpApi: number;
}

/** $ per million signed-in checks. Lambda bills duration in 1 ms steps, at least 1 ms. */
export function perMillion(i: CostInputs): CostBreakdown {
  const billed = (ms: number) => Math.max(1, Math.ceil(ms));
  const avgBilledMs = (1 - i.missRate) * billed(i.hitMs) + i.missRate * billed(i.missMs);
  const lambdaRequests = PRICES.lambdaRequestPerMillion;
  const lambdaDuration = 1e6 * (avgBilledMs / 1000) * (i.memoryMb / 1024) * PRICES.lambdaArmPerGbSecond;
  const dynamoReads = i.missRate * PRICES.dynamoReadPerMillion;
  const logs = ((1e6 * (i.logBytesPerCheck + i.platformBytesPerCheck)) / 1e9) * PRICES.logsIngestionPerGb;
  const functionUrl = lambdaRequests + lambdaDuration + dynamoReads + logs;
  const httpApiFee = PRICES.httpApiPerMillion;
  return {
    lambdaRequests,
    lambdaDuration,
    dynamoReads,
    logs,
    functionUrl,
    httpApiFee,
    httpApi: functionUrl + httpApiFee,
  };
}

/**
 * Monthly cost at `checks` a month for each option. ALB LCUs: each check ~2 KB processed (request with cookie and
 * answer) and one new connection per 10 checks (keep-alive), whichever dimension is larger; oauth2-proxy writes its
 * default request-log line (~250 bytes) per check to CloudWatch Logs and sits behind an ALB of its own.
 */
export function monthly(checks: number, perM: CostBreakdown) {
  const perSecond = checks / (HOURS_PER_MONTH * 3600);
  const gbPerHour = (checks * 2048) / 1e9 / HOURS_PER_MONTH;
  const lcu = Math.max(perSecond / 10 / 25, gbPerHour / 1);
  const alb = HOURS_PER_MONTH * (PRICES.albHour + lcu * PRICES.albLcuHour);
  const fargate = HOURS_PER_MONTH * (0.25 * PRICES.fargateArmVcpuHour + 0.5 * PRICES.fargateArmGbHour);
  const oauth2ProxyLogs = ((checks * 250) / 1e9) * PRICES.logsIngestionPerGb;
  return {
    checks,
    functionUrl: (checks / 1e6) * perM.functionUrl,
    httpApi: (checks / 1e6) * perM.httpApi,
    albOidc: alb,
    oauth2ProxyFargate: fargate + alb + oauth2ProxyLogs,
  };
}
