/** The error class a test expects (any constructor of an Error). */
// biome-ignore lint/suspicious/noExplicitAny: error classes take any constructor arguments
type ErrorClass<E extends Error> = abstract new (...args: any[]) => E;

/**
 * Runs `fn` (sync or async), requiring it to throw an instance of `type`, and returns that error. Anything else
 * (another error, or nothing thrown) fails the test with a message saying what happened instead.
 */
export function catchError<E extends Error>(fn: () => unknown, type: ErrorClass<E>): E {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    return expectInstance(err, type);
  }
  if (result instanceof Promise) throw new Error('catchError got a promise: use catchErrorAsync');
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}

/** {@link catchError} for a function that returns a promise. */
export async function catchErrorAsync<E extends Error>(fn: () => unknown, type: ErrorClass<E>): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return expectInstance(err, type);
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}

function expectInstance<E extends Error>(err: unknown, type: ErrorClass<E>): E {
  if (err instanceof type) return err;
  throw new Error(`expected a ${type.name}, got ${String(err)}`, { cause: err });
}
