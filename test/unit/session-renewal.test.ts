import { describe, expect, it } from 'vitest';
import { initialTimes, renewalState, renewedTimes } from '../../shared/sessions/renewal.js';

const M = 60_000;
const H = 60 * M;
const T0 = 1_800_000_000_000;

describe('initialTimes', () => {
  it('sets only the expiry when the portal has neither setting (sessions as before)', () => {
    expect(initialTimes({ sessionLifetime: 2 * H }, T0)).toEqual({ expiresAt: T0 + 2 * H });
  });

  it('renews half-way through the lifetime when there is a cap', () => {
    expect(initialTimes({ sessionLifetime: H, sessionMaxLifetime: 3 * H }, T0)).toEqual({
      expiresAt: T0 + H,
      renewAt: T0 + 30 * M,
    });
  });

  it('never renews a session whose cap is its lifetime', () => {
    expect(initialTimes({ sessionLifetime: H, sessionMaxLifetime: H }, T0)).toEqual({ expiresAt: T0 + H });
  });

  it('re-validates half-way through the interval, and is not valid past it', () => {
    expect(initialTimes({ sessionLifetime: H, revalidateInterval: 20 * M }, T0)).toEqual({
      expiresAt: T0 + H,
      renewAt: T0 + 10 * M,
      validUntil: T0 + 20 * M,
    });
  });

  it('takes the earlier of extension and re-validation', () => {
    expect(initialTimes({ sessionLifetime: H, sessionMaxLifetime: 3 * H, revalidateInterval: 2 * H }, T0)).toEqual({
      expiresAt: T0 + H,
      renewAt: T0 + 30 * M,
      validUntil: T0 + 2 * H,
    });
  });
});

describe('renewedTimes', () => {
  const policy = { sessionLifetime: H, sessionMaxLifetime: 3 * H };

  it('extends by sessionLifetime from the renewal', () => {
    const s = { createdAt: T0, expiresAt: T0 + H };
    expect(renewedTimes(policy, s, T0 + 40 * M, false)).toEqual({ expiresAt: T0 + 100 * M, renewAt: T0 + 70 * M });
  });

  it('never extends past createdAt + sessionMaxLifetime, and stops renewing there', () => {
    const s = { createdAt: T0, expiresAt: T0 + 150 * M };
    expect(renewedTimes(policy, s, T0 + 130 * M, false)).toEqual({ expiresAt: T0 + 3 * H });
  });

  it('never shortens a session', () => {
    const s = { createdAt: T0, expiresAt: T0 + H };
    expect(renewedTimes({ sessionLifetime: H }, s, T0 + 50 * M, false).expiresAt).toBe(T0 + H);
  });

  it('moves the re-validation deadline only when validated', () => {
    const p = { sessionLifetime: H, revalidateInterval: 20 * M };
    const s = { createdAt: T0, expiresAt: T0 + H, validUntil: T0 + 20 * M };
    expect(renewedTimes(p, s, T0 + 15 * M, true)).toEqual({
      expiresAt: T0 + H,
      renewAt: T0 + 25 * M,
      validUntil: T0 + 35 * M,
    });
    expect(renewedTimes(p, s, T0 + 15 * M, false).validUntil).toBe(T0 + 20 * M);
  });

  it('drops a re-validation deadline the portal no longer has', () => {
    const s = { createdAt: T0, expiresAt: T0 + H, validUntil: T0 + 20 * M };
    expect(renewedTimes({ sessionLifetime: H }, s, T0 + 25 * M, false)).toEqual({ expiresAt: T0 + H });
  });
});

describe('renewalState', () => {
  it.each([
    [{}, T0, 'ok'],
    [{ renewAt: T0 + 1 }, T0, 'ok'],
    [{ renewAt: T0 }, T0, 'due'],
    [{ renewAt: T0 - 10, validUntil: T0 + 1 }, T0, 'due'],
    [{ renewAt: T0 - 10, validUntil: T0 }, T0, 'required'],
    // A renewal in progress elsewhere holds `renewAt` in the future (its lease); the deadline still counts.
    [{ renewAt: T0 + 60_000, validUntil: T0 - 1 }, T0, 'required'],
  ] as const)('%j at now → %s', (times, now, want) => {
    expect(renewalState(times, now)).toBe(want);
  });
});
