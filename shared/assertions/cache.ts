import type { AssertionSource } from './source.js';

/** A token fetched from an issuer, with how long we may hand it out again. */
export interface FetchedToken {
  token: string;
  /** Epoch ms until which the token may be reused. Absent, or not after "now", means: do not cache. */
  reuseUntil?: number;
}

/**
 * Wraps a token fetcher with an in-memory cache and request coalescing: while a fetch is in flight, every caller
 * awaits that same fetch (upstream's singleflight), so a burst of callbacks costs one call to the issuer. A failed
 * fetch is shared by the callers waiting on it and is not cached; the next call tries again.
 */
export function cachedTokenSource(fetchToken: () => Promise<FetchedToken>, now: () => number): AssertionSource {
  let cached: { token: string; reuseUntil: number } | undefined;
  let inflight: Promise<string> | undefined;

  const refresh = async (): Promise<string> => {
    const fetched = await fetchToken();
    const { reuseUntil } = fetched;
    cached = reuseUntil !== undefined && reuseUntil > now() ? { token: fetched.token, reuseUntil } : undefined;
    return fetched.token;
  };

  return {
    get(): Promise<string> {
      if (cached && now() < cached.reuseUntil) return Promise.resolve(cached.token);
      if (inflight) return inflight;
      const p = refresh().finally(() => {
        if (inflight === p) inflight = undefined;
      });
      inflight = p;
      return p;
    },
  };
}

const FIVE_MINUTES_MS = 5 * 60_000;

/**
 * When to stop reusing a token that expires at `expiresAt` (epoch ms): 5 minutes early, or halfway through its
 * remaining life when that is shorter, so a short-lived token is still reused a little but never handed out stale.
 * Returns undefined (do not cache) when the token is already expired.
 */
export function reuseUntilBeforeExpiry(expiresAt: number | undefined, now: number): number | undefined {
  if (expiresAt === undefined) return undefined;
  const lifetime = expiresAt - now;
  if (!(lifetime > 0)) return undefined;
  return expiresAt - Math.min(FIVE_MINUTES_MS, lifetime / 2);
}

/**
 * Reads a seconds value that issuers send either as a JSON number or as a decimal string (IMDS, tsiam). Only whole
 * numbers are accepted, as Go's `strconv.ParseInt` upstream; anything else is undefined.
 */
export function parseSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^[+-]?\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}
