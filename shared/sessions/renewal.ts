/**
 * When a session is extended and re-validated (portal `sessionMaxLifetime` and `revalidateInterval`;
 * docs/sessions.md). Pure and tiny: verify reads it on every check, and the renew route and the callback write what
 * it computes. Verify never calls the provider: it only decides whether a browser passes through the renew route.
 */

/** The portal settings that govern a session's life, in ms. */
export interface RenewalPolicy {
  sessionLifetime: number;
  /** Absolute cap after sign-in; unset: no extension. */
  sessionMaxLifetime?: number;
  /** Re-validate with the provider at least this often; unset: never. */
  revalidateInterval?: number;
}

/** What a session stores about its renewal (besides `createdAt` and `expiresAt`). */
export interface RenewalTimes {
  expiresAt: number;
  /**
   * From then on a browser navigation passes through the renew route (half-way through the current lifetime or
   * re-validation interval, so that an active user is renewed before anything runs out). Unset: never.
   */
  renewAt?: number;
  /** Past it, the session is not accepted until it is re-validated with the provider. Unset: no re-validation. */
  validUntil?: number;
}

/**
 * `ok`: accept. `due`: accept, and send a browser navigation through the renew route. `required`: the re-validation
 * interval has passed, so do not accept the session before it is re-validated (browsers renew; others get 401).
 */
export type RenewalState = 'ok' | 'due' | 'required';

export function renewalState(s: Pick<RenewalTimes, 'renewAt' | 'validUntil'>, now: number): RenewalState {
  if (s.validUntil !== undefined && now >= s.validUntil) return 'required';
  if (s.renewAt !== undefined && now >= s.renewAt) return 'due';
  return 'ok';
}

/** The times of a session signed in (and so validated with the provider) at `now`. */
export function initialTimes(policy: RenewalPolicy, now: number): RenewalTimes {
  return timesAfter(policy, now, now, now + policy.sessionLifetime, true);
}

/**
 * The times after a renewal at `now`: extended by `sessionLifetime` (never past `createdAt + sessionMaxLifetime`)
 * when the portal has a cap, else the expiry stays; `validated`: the provider confirmed the user just now.
 */
export function renewedTimes(
  policy: RenewalPolicy,
  s: { createdAt: number; expiresAt: number; validUntil?: number },
  now: number,
  validated: boolean,
): RenewalTimes {
  const expiresAt =
    policy.sessionMaxLifetime === undefined
      ? s.expiresAt
      : Math.max(s.expiresAt, Math.min(now + policy.sessionLifetime, s.createdAt + policy.sessionMaxLifetime));
  return timesAfter(policy, s.createdAt, now, expiresAt, validated, s.validUntil);
}

function timesAfter(
  policy: RenewalPolicy,
  createdAt: number,
  now: number,
  expiresAt: number,
  validated: boolean,
  previousValidUntil?: number,
): RenewalTimes {
  const { sessionLifetime: life, sessionMaxLifetime: max, revalidateInterval: interval } = policy;
  const validUntil = interval === undefined ? undefined : validated ? now + interval : previousValidUntil;
  let renewAt: number | undefined;
  // Extension: half-way through the current lifetime, while the cap leaves room.
  if (max !== undefined && expiresAt < createdAt + max) renewAt = expiresAt - life / 2;
  // Re-validation: half-way through the interval, when the session outlives it.
  if (interval !== undefined && validUntil !== undefined && validUntil < expiresAt) {
    const at = validUntil - interval / 2;
    renewAt = renewAt === undefined ? at : Math.min(renewAt, at);
  }
  return {
    expiresAt,
    ...(renewAt !== undefined ? { renewAt } : {}),
    ...(validUntil !== undefined ? { validUntil } : {}),
  };
}
