import { sha256 } from '../../shared/crypto.js';
import { newToken } from '../../shared/sessions/tokens.js';
import type {
  BackchannelStore,
  ConsumeResult,
  LoginState,
  Session,
  SessionFilter,
  SessionInventory,
  SessionRenewal,
  SessionStore,
  SessionSummary,
  StateStore,
  UserRef,
} from '../../shared/sessions/types.js';
import type { SessionSecrets } from '../../shared/sessions/vault.js';
import { seal } from '../../shared/sessions/vault.js';

/**
 * The store's contract in memory, for tests that drive the app in process by the ten thousand (the fuzz tests): the
 * real DynamoStore's behaviour is held to the same contract by session-store.contract.test.ts.
 */
export class MemoryStore implements SessionStore, SessionInventory, StateStore, BackchannelStore {
  readonly sessions = new Map<string, Session>();
  private readonly states = new Map<string, { attemptId: string; state: LoginState }>();
  private readonly sids = new Map<string, string[]>();
  private readonly jtis = new Set<string>();

  async create(session: Session, secrets?: SessionSecrets): Promise<string> {
    const token = newToken();
    const sealed = secrets && (secrets.idToken || secrets.refreshToken) ? seal(token, secrets) : undefined;
    this.sessions.set(sha256(token), { ...session, ...(sealed ? { sealed } : {}) });
    return token;
  }

  async get(token: string, now: number): Promise<Session | undefined> {
    const s = this.sessions.get(sha256(token));
    return s && s.expiresAt > now ? s : undefined;
  }

  async revoke(token: string): Promise<void> {
    this.sessions.delete(sha256(token));
  }

  async claimRenewal(token: string, now: number, leaseUntil: number): Promise<boolean> {
    const s = this.sessions.get(sha256(token));
    if (!s || s.expiresAt <= now || (s.renewAt !== undefined && s.renewAt > now)) return false;
    this.sessions.set(sha256(token), { ...s, renewAt: leaseUntil });
    return true;
  }

  async renew(token: string, lease: number, renewal: SessionRenewal): Promise<boolean> {
    const s = this.sessions.get(sha256(token));
    if (!s || s.renewAt !== lease) return false;
    const { renewAt: _r, validUntil: _v, ...rest } = s;
    const sealed = renewal.secrets ? seal(token, renewal.secrets) : s.sealed;
    this.sessions.set(sha256(token), {
      ...rest,
      expiresAt: renewal.expiresAt,
      ...(renewal.renewAt !== undefined ? { renewAt: renewal.renewAt } : {}),
      ...(renewal.validUntil !== undefined ? { validUntil: renewal.validUntil } : {}),
      ...(renewal.profile ? { profile: renewal.profile } : {}),
      ...(sealed ? { sealed } : {}),
    });
    return true;
  }

  async revokeAllForUser(user: UserRef): Promise<number> {
    let n = 0;
    for (const [key, s] of this.sessions)
      if (s.portal === user.portal && s.provider === user.provider && s.profile.id === user.userId) {
        this.sessions.delete(key);
        n++;
      }
    return n;
  }

  async list(filter: SessionFilter, now: number): Promise<SessionSummary[]> {
    const out: SessionSummary[] = [];
    for (const [key, s] of this.sessions) {
      if (s.expiresAt <= now) continue;
      if (filter.portal !== undefined && s.portal !== filter.portal) continue;
      if (filter.provider !== undefined && s.provider !== filter.provider) continue;
      if (filter.userId !== undefined && s.profile.id !== filter.userId) continue;
      out.push({
        id: key.slice(0, 12),
        key,
        portal: s.portal,
        provider: s.provider,
        userId: s.profile.id,
        createdAt: s.createdAt,
        expiresAt: s.expiresAt,
        userAgent: s.device?.userAgent,
        ip: s.device?.ip,
      });
    }
    return out;
  }

  listForUser(user: UserRef, now: number): Promise<SessionSummary[]> {
    return this.list(user, now);
  }

  async revokeByKey(key: string): Promise<void> {
    this.sessions.delete(key);
  }

  /** As DynamoStore: one login state per browser binding, replaced by the binding's next attempt. */
  async putState(attemptId: string, state: LoginState): Promise<void> {
    this.states.set(state.bindingHash, { attemptId, state });
  }

  async consumeState(attemptId: string, now: number, bindingHash: string): Promise<ConsumeResult> {
    const held = this.states.get(bindingHash);
    if (!held || held.attemptId !== attemptId) {
      const alive = held !== undefined && held.state.expiresAt > now;
      return { ok: false, reason: alive ? 'superseded' : 'missing' };
    }
    this.states.delete(bindingHash);
    if (held.state.expiresAt <= now) return { ok: false, reason: 'missing' };
    return { ok: true, state: held.state };
  }

  async linkProviderSession(portal: string, provider: string, sid: string, key: string): Promise<void> {
    const k = `${portal}#${provider}#${sid}`;
    this.sids.set(k, [...(this.sids.get(k) ?? []), key]);
  }

  async takeProviderSession(portal: string, provider: string, sid: string): Promise<string[]> {
    const k = `${portal}#${provider}#${sid}`;
    const keys = this.sids.get(k) ?? [];
    this.sids.delete(k);
    return keys;
  }

  async claimOnce(issuer: string, jti: string): Promise<boolean> {
    const k = `${issuer}#${jti}`;
    if (this.jtis.has(k)) return false;
    this.jtis.add(k);
    return true;
  }
}
