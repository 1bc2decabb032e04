import { findProvider, isTruthy, type PortalRequest } from './context.js';

/**
 * What the logged-out page says, carried in the query of `P?logout=1…` and `P/signin?…&logout=1…` (our own
 * redirects; a forged link can only change the wording of a banner).
 */
export interface LogoutNotice {
  /** Signed out on all devices: how many sessions ended. */
  everywhere?: number;
  /** The provider of the session that ended (a name configured in the portal). */
  provider?: string;
  /** Signed out at the provider too (RP-initiated logout came back). */
  atProvider?: boolean;
}

/** The notice of a request, or undefined when `logout` is not truthy. Unknown providers and bad counts are dropped. */
export function readLogoutNotice(pr: PortalRequest): LogoutNotice | undefined {
  const q = pr.url.searchParams;
  if (!isTruthy(q.get('logout'))) return undefined;
  const sessions = q.get('sessions');
  const provider = q.get('provider');
  return {
    everywhere: sessions !== null && /^\d{1,6}$/.test(sessions) ? Number(sessions) : undefined,
    provider: provider ? findProvider(pr.portal, provider)?.name : undefined,
    atProvider: q.get('idp') === '1' || undefined,
  };
}

/** `logout=1[&sessions=N][&provider=X][&idp=1]` */
export function logoutQuery(n: LogoutNotice): string {
  const q = new URLSearchParams({ logout: '1' });
  if (n.everywhere !== undefined) q.set('sessions', String(n.everywhere));
  if (n.provider) q.set('provider', n.provider);
  if (n.atProvider) q.set('idp', '1');
  return q.toString();
}

/**
 * The `state` sent to the provider's end-session endpoint and echoed back to `P/logged-out`: the provider's name and,
 * after "log out everywhere", the count (`pocketid~3`).
 */
export function endSessionState(n: LogoutNotice & { provider: string }): string {
  return n.everywhere === undefined ? n.provider : `${n.provider}~${n.everywhere}`;
}

/** Reads {@link endSessionState} back; undefined when it names no provider of this portal. */
export function readEndSessionState(pr: PortalRequest, state: string | null): LogoutNotice | undefined {
  const m = /^([A-Za-z][\w.-]{1,39})(?:~(\d{1,6}))?$/.exec(state ?? '');
  const provider = m?.[1] ? findProvider(pr.portal, m[1])?.name : undefined;
  if (!provider) return undefined;
  return { provider, everywhere: m?.[2] === undefined ? undefined : Number(m[2]), atProvider: true };
}

/** The banner's sentence: "Signed out." / "Signed out on all devices (3 sessions)." (+ the provider too). */
export function logoutMessage(n: LogoutNotice, providerDisplayName?: string): string {
  const count = n.everywhere;
  const base =
    count === undefined ? 'Signed out.' : `Signed out on all devices (${count} session${count === 1 ? '' : 's'}).`;
  return n.atProvider && providerDisplayName ? `${base} You are signed out of ${providerDisplayName} too.` : base;
}
