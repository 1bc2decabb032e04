import { errorResponse, unauthorized } from '../http/errors.js';
import { jsonResponse, redirect, textResponse } from '../http/responses.js';
import type { Profile } from '../profile.js';
import type { Session, SessionReader } from '../sessions/types.js';
import { type CoreDeps, type PortalRequest, portalUri } from './context.js';
import { currentSession } from './session-lookup.js';
import { type SessionsDeps, signedInPage } from './signed-in-page.js';
import { isBrowserNavigation } from './state-cookie.js';

export interface ProfileDeps extends CoreDeps {
  sessions: SessionReader;
  /** The styled signed-in page, for a browser opening `P/profile` (where a sign-in lands when no app is known). */
  signedInPage?: (pr: PortalRequest, session: Session, providerDisplayName: string) => Promise<Response>;
}

/**
 * `GET P/profile` and `P/profile.json` (upstream §2.9). Conditions are not evaluated here. A browser opening
 * `P/profile` gets the signed-in page, or without a session a 303 to the portal, which signs it in and comes back
 * here; every other client gets upstream's text (401 `Not authenticated` without a session).
 */
export async function profileRoute(deps: ProfileDeps, pr: PortalRequest, format: 'text' | 'json'): Promise<Response> {
  const { session, provider, clear } = await currentSession(deps, pr);
  const page = format === 'text' && deps.signedInPage && isBrowserNavigation(pr.req) ? deps.signedInPage : undefined;
  if (page && !(session && provider)) return redirect(303, portalUri(deps, pr), 'Redirecting to portal', clear);
  if (page && session && provider) return page(pr, session, provider.displayName);
  if (!session) {
    const res = errorResponse(unauthorized('Not authenticated'), format);
    for (const c of clear) res.headers.append('Set-Cookie', c);
    return res;
  }
  if (format === 'json') return jsonResponse(200, profileJSON(session.provider, session.profile));
  return textResponse(200, profileText(session.provider, session.profile), { 'Cache-Control': 'no-store' });
}

/**
 * Upstream's JSON profile, except that the locale key is `locale`: upstream writes `local` (a typo its tests lock
 * in); we fix it and say so in the docs.
 */
export function profileJSON(provider: string, p: Profile): Record<string, unknown> {
  const out: Record<string, unknown> = { authenticated: true, provider, id: p.id };
  const name: Record<string, string> = { full: p.name.full };
  if (p.name.nickname) name.nickname = p.name.nickname;
  if (p.name.preferredUsername) name.preferredUsername = p.name.preferredUsername;
  if (p.name.first) name.first = p.name.first;
  if (p.name.middle) name.middle = p.name.middle;
  if (p.name.last) name.last = p.name.last;
  out.name = name;
  if (p.email) out.email = { address: p.email.address, verified: p.email.verified };
  if (p.picture) out.picture = p.picture;
  if (p.locale) out.locale = p.locale;
  if (p.timezone) out.timezone = p.timezone;
  if (p.groups?.length) out.groups = p.groups;
  if (p.roles?.length) out.roles = p.roles;
  if (p.additionalClaims && Object.keys(p.additionalClaims).length > 0) out.additionalClaims = p.additionalClaims;
  return out;
}

function listLines(label: string, values: string[] | undefined): string[] {
  if (!values?.length) return [];
  if (values.length === 1) return [`${label}: ${values[0]}`];
  return [`${label}s:`, ...values.map((v) => `  - ${v}`)];
}

/** Upstream's plain-text profile layout, line for line; empty lines are omitted. */
export function profileText(provider: string, p: Profile): string {
  const lines = ['Authenticated', '', `Provider: ${provider}`, `ID: ${p.id}`, 'Name:', `   Full Name: ${p.name.full}`];
  if (p.name.nickname) lines.push(`   Nickname: ${p.name.nickname}`);
  if (p.name.preferredUsername) lines.push(`   Preferred Username: ${p.name.preferredUsername}`);
  if (p.name.first) lines.push(`   First: ${p.name.first}`);
  if (p.name.middle) lines.push(`   Middle: ${p.name.middle}`);
  if (p.name.last) lines.push(`   Last: ${p.name.last}`);
  if (p.email) {
    lines.push('Email:', `   Address: ${p.email.address}`);
    if (p.email.verified) lines.push('   Verified: true');
  }
  if (p.picture) lines.push(`Picture: ${p.picture}`);
  if (p.locale) lines.push(`Locale: ${p.locale}`);
  if (p.timezone) lines.push(`Timezone: ${p.timezone}`);
  lines.push(...listLines('Group', p.groups), ...listLines('Role', p.roles));
  const extra = p.additionalClaims ?? {};
  const keys = Object.keys(extra).sort();
  if (keys.length > 0) {
    lines.push('Additional claims:');
    for (const k of keys) {
      const v = extra[k];
      if (Array.isArray(v)) {
        lines.push(`   ${k}:`);
        for (const item of v) lines.push(`     - ${typeof item === 'string' ? item : JSON.stringify(item)}`);
      } else lines.push(`   ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `GET P/authenticated`: the "authenticated" page on its own route. Upstream serves it at `GET P?html=1`; on AWS that
 * route belongs to the verify function, which carries no HTML, so verify redirects here instead.
 */
export async function authenticatedRoute(deps: SessionsDeps, pr: PortalRequest, portalUri: string): Promise<Response> {
  const { session, provider, clear } = await currentSession(deps, pr);
  if (!session || !provider) return redirect(303, portalUri, 'Redirecting to portal', clear);
  return signedInPage(deps, pr, session, provider.displayName);
}
