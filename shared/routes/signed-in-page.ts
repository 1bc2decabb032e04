import { ROUTES } from '../config/routes.js';
import { sha256 } from '../crypto.js';
import { redirect } from '../http/responses.js';
import type { DeviceRow } from '../portal/pages.js';
import {
  type Session,
  type SessionInventory,
  type SessionReader,
  type SessionSummary,
  userOf,
} from '../sessions/types.js';
import { assertSameOrigin, type CoreDeps, type PortalRequest, portalUri, sessionCookieName } from './context.js';
import { currentSession } from './session-lookup.js';

/** Renders the signed-in page, with the user's sessions when the caller listed them. */
export type AuthenticatedPage = (
  pr: PortalRequest,
  session: Session,
  providerDisplayName: string,
  sessions?: { rows: DeviceRow[]; endAction: string },
) => Response;

export interface SessionsDeps extends CoreDeps {
  sessions: SessionReader & SessionInventory;
  authenticatedPage: AuthenticatedPage;
}

/**
 * The signed-in page: who the user is, and their sessions in this portal at this provider (identities are per
 * provider), newest first, with the browser's own marked "this device" and an "End this session" button on the others.
 */
export async function signedInPage(
  deps: SessionsDeps,
  pr: PortalRequest,
  session: Session,
  providerDisplayName: string,
): Promise<Response> {
  const all = await deps.sessions.listForUser(userOf(session), deps.now());
  const own = sha256(pr.cookies[sessionCookieName(deps, pr.portal)] ?? '');
  const rows = all
    .filter((s) => s.provider === session.provider)
    .map((s) => ({
      id: s.id,
      device: describeDevice(s),
      created: formatTime(s.createdAt),
      current: s.key === own,
    }));
  return deps.authenticatedPage(pr, session, providerDisplayName, {
    rows,
    endAction: `${portalUri(deps, pr)}${ROUTES.endSession.suffix}`,
  });
}

/**
 * `POST P/sessions/end` (form field `session` = a short session id from the signed-in page): ends one of the
 * user's own sessions, then back to the signed-in page (303). Only a session of the same user, portal and provider
 * can be named; anything else is ignored, so the page never tells whether an id exists.
 */
export async function endSessionRoute(deps: SessionsDeps, pr: PortalRequest): Promise<Response> {
  assertSameOrigin(deps, pr);
  const back = `${portalUri(deps, pr)}/authenticated`;
  const { session, clear } = await currentSession(deps, pr);
  if (!session) return redirect(303, portalUri(deps, pr), 'Redirecting to portal', clear);
  const id = await formField(pr.req, 'session');
  const target = (await deps.sessions.listForUser(userOf(session), deps.now())).find(
    (s) => s.provider === session.provider && s.id === id,
  );
  if (target) {
    await deps.sessions.revokeByKey(target.key);
    pr.log.info('User ended a session', {
      portal: pr.portal.name,
      provider: session.provider,
      user: session.profile.id,
      session: target.id,
    });
  }
  return redirect(303, back, 'Redirecting to your sessions');
}

/** One field of an urlencoded form body (at most 4 KB read). */
async function formField(req: Request, name: string): Promise<string | undefined> {
  const text = (await req.text()).slice(0, 4096);
  return new URLSearchParams(text).get(name) ?? undefined;
}

/** "Firefox on Linux, 192.0.2.7" from the User-Agent and address recorded at sign-in (best effort, display only). */
export function describeDevice(s: Pick<SessionSummary, 'userAgent' | 'ip'>): string {
  const ua = s.userAgent ?? '';
  const browser =
    [
      [/Edg(?:e|A|iOS)?\//, 'Edge'],
      [/OPR\/|Opera/, 'Opera'],
      [/Firefox\/|FxiOS\//, 'Firefox'],
      [/Chrome\/|CriOS\/|Chromium\//, 'Chrome'],
      [/Safari\//, 'Safari'],
      [/^curl\//, 'curl'],
    ].find(([re]) => (re as RegExp).test(ua))?.[1] ?? (ua ? 'Unknown browser' : 'Unknown device');
  const os = [
    [/iPhone|iPad|iOS/, 'iOS'],
    [/Android/, 'Android'],
    [/Windows/, 'Windows'],
    [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ].find(([re]) => (re as RegExp).test(ua))?.[1];
  return `${browser}${os ? ` on ${os}` : ''}${s.ip ? `, ${s.ip}` : ''}`;
}

/** `2026-06-01 12:00 UTC`: the page has no script, so one unambiguous zone. */
function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
