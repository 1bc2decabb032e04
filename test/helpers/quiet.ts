/**
 * Vitest setup file: keeps test output to what a reader needs. The Lambda bundles run in-process and write to stdout
 * what CloudWatch would collect: one EMF line per request (`{"_aws":…}`) and their JSON log lines (`"app":
 * "tfa-serverless","fn":…`), ERROR lines included where a test provokes a failure on purpose. Tests that check
 * metrics or logs capture them with their own writer, so the copies on the real stdout are noise. Set
 * TFA_TEST_LOGS=1 to see the function log lines while debugging.
 */
const FUNCTION_LOG_LINE = /^\{"time":"[^"]*","level":"[A-Z]+","msg":.*"app":"tfa-serverless","fn":"/;
const keepFunctionLogs = process.env.TFA_TEST_LOGS === '1';

const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
  typeof chunk === 'string' && (chunk.startsWith('{"_aws":') || (!keepFunctionLogs && FUNCTION_LOG_LINE.test(chunk)))
    ? true
    : (write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
