/**
 * The CloudWatch EMF metrics the functions write (functions/metrics.ts), named once for the writer and for the
 * dashboard that reads them (infra/dashboard.ts). Imports nothing: infra/ may not reach the core through it.
 */
export const METRICS_NAMESPACE = 'tfa-serverless';
