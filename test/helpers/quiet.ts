/**
 * Vitest setup file: keeps test output to what a reader needs. The Lambda bundles run in-process and write one
 * CloudWatch EMF line per request to stdout (`{"_aws":…}`); tests that check metrics capture them with their own
 * writer, so the copies on the real stdout are noise.
 */
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
  typeof chunk === 'string' && chunk.startsWith('{"_aws":')
    ? true
    : (write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
