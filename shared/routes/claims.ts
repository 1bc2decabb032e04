import type { Profile } from '../profile.js';

/** A profile as standard OIDC claims (upstream's session-token claims §3.2), each only when non-empty. */
export function profileClaims(p: Profile): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  };
  put('name', p.name.full);
  put('given_name', p.name.first);
  put('middle_name', p.name.middle);
  put('family_name', p.name.last);
  put('nickname', p.name.nickname);
  put('preferred_username', p.name.preferredUsername);
  put('email', p.email?.address);
  if (p.email?.verified) out.email_verified = true;
  put('picture', p.picture);
  put('locale', p.locale);
  put('zoneinfo', p.timezone);
  put('groups', p.groups);
  put('roles', p.roles);
  for (const [k, v] of Object.entries(p.additionalClaims ?? {})) if (!(k in out)) put(k, v);
  return out;
}
