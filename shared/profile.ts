/**
 * The user profile, as upstream's `user.Profile`: the identity we keep in a session and expose through headers,
 * conditions and the profile routes.
 */
export interface Profile {
  /** User ID: `sub`, else `id` (Entra: `oid`, GitHub: login). Never empty. */
  id: string;
  name: {
    full: string;
    nickname?: string;
    preferredUsername?: string;
    first?: string;
    middle?: string;
    last?: string;
  };
  email?: { address: string; verified: boolean };
  picture?: string;
  locale?: string;
  timezone?: string;
  groups?: string[];
  roles?: string[];
  /** Provider-specific extra claims that survive into the session (for example Google's `hd`). */
  additionalClaims?: Record<string, unknown>;
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

/** Some providers send booleans as strings ("true", "1"); upstream accepts those too. */
const isTrue = (v: unknown): boolean => v === true || v === 'true' || v === '1';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A claim that may be an array of strings or a whitespace-separated string. */
function stringList(v: unknown): string[] | undefined {
  let list: string[] = [];
  if (Array.isArray(v)) list = v.filter((x): x is string => typeof x === 'string' && x !== '');
  else if (typeof v === 'string') list = v.split(/\s+/).filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/**
 * Maps OIDC/OAuth2 claims to a profile exactly as upstream §5.1 does: ID = `sub` else `id`; full name = `name`,
 * else `nickname`, else given+middle+family, else `preferred_username`; `email_verified` or `verified_email`;
 * groups from `groups`|`group`, roles from `roles`|`role`.
 *
 * @param keepClaims additional claim names copied as-is into `additionalClaims` when present.
 * @throws ProfileError when there is neither `sub` nor `id`.
 */
export function profileFromClaims(claims: Record<string, unknown>, keepClaims: readonly string[] = []): Profile {
  const asId = (v: unknown) => (typeof v === 'number' ? String(v) : str(v));
  // An empty `sub` falls back to `id`, as upstream's check for a non-empty value does.
  const id = asId(claims.sub) ?? asId(claims.id);
  if (!id) throw new ProfileError('claims contain neither "sub" nor "id"');

  const first = str(claims.given_name);
  const middle = str(claims.middle_name);
  const last = str(claims.family_name);
  const nickname = str(claims.nickname);
  const preferredUsername = str(claims.preferred_username);
  const full =
    str(claims.name) ??
    nickname ??
    ([first, middle, last].filter(Boolean).join(' ') || undefined) ??
    preferredUsername ??
    '';

  const profile: Profile = { id, name: { full } };
  if (nickname) profile.name.nickname = nickname;
  if (preferredUsername) profile.name.preferredUsername = preferredUsername;
  if (first) profile.name.first = first;
  if (middle) profile.name.middle = middle;
  if (last) profile.name.last = last;

  const email = str(claims.email);
  if (email)
    profile.email = { address: email, verified: isTrue(claims.email_verified) || isTrue(claims.verified_email) };
  const picture = str(claims.picture);
  if (picture) profile.picture = picture;
  const locale = str(claims.locale);
  if (locale) profile.locale = locale;
  const timezone = str(claims.zoneinfo);
  if (timezone) profile.timezone = timezone;
  // An empty plural claim falls back to the singular one, as upstream's getGroupsClaimFromMap does.
  const groups = stringList(claims.groups) ?? stringList(claims.group);
  if (groups) profile.groups = groups;
  const roles = stringList(claims.roles) ?? stringList(claims.role);
  if (roles) profile.roles = roles;

  const extra: Record<string, unknown> = {};
  for (const key of keepClaims) if (claims[key] !== undefined) extra[key] = claims[key];
  if (Object.keys(extra).length > 0) profile.additionalClaims = extra;
  return profile;
}

/**
 * The value of a claim for headers and conditions (upstream's claim getters). Standard claims that are absent read
 * as `''`; additional claims that are absent read as `undefined`.
 */
export function claimValue(profile: Profile, providerName: string, claim: string): unknown {
  switch (claim) {
    case 'provider':
      return providerName;
    case 'id':
    case 'sub':
      return profile.id;
    case 'name':
      return profile.name.full;
    case 'given_name':
      return profile.name.first ?? '';
    case 'middle_name':
      return profile.name.middle ?? '';
    case 'family_name':
      return profile.name.last ?? '';
    case 'nickname':
      return profile.name.nickname ?? '';
    case 'preferred_username':
      return profile.name.preferredUsername ?? '';
    case 'email':
      return profile.email?.address ?? '';
    case 'email_verified':
      // Upstream reads an absent email's verification as an empty string.
      return profile.email ? profile.email.verified : '';
    case 'picture':
      return profile.picture ?? '';
    case 'locale':
      return profile.locale ?? '';
    case 'zoneinfo':
      return profile.timezone ?? '';
    case 'groups':
      return profile.groups ?? [];
    case 'roles':
      return profile.roles ?? [];
    default:
      // Own properties only: `constructor` or `__proto__` must not resolve to Object.prototype members.
      return profile.additionalClaims && Object.hasOwn(profile.additionalClaims, claim)
        ? profile.additionalClaims[claim]
        : undefined;
  }
}
