import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log.js';
import { claimValue, type Profile, ProfileError, profileFromClaims } from '../../shared/profile.js';
import { portalRequest } from '../../shared/routes/context.js';
import { type ProfileDeps, profileJSON, profileRoute, profileText } from '../../shared/routes/profile-page.js';
import type { Session } from '../../shared/sessions/types.js';
import { catchError } from '../helpers/catch-error.js';

/** Runs `fn`, requiring a ProfileError. */
function profileError(fn: () => unknown): ProfileError {
  return catchError(fn, ProfileError);
}

describe('upstream profile_test.go: TestNewProfileFromOpenIDToken', () => {
  it('maps every standard claim of a complete token', () => {
    // Prepare
    const claims = {
      sub: 'user123',
      name: 'John Doe',
      given_name: 'John',
      middle_name: 'A',
      family_name: 'Doe',
      nickname: 'Johnny',
      preferred_username: 'jdoe',
      email: 'john@example.com',
      email_verified: true,
      picture: 'https://example.com/picture.jpg',
      locale: 'en-US',
      zoneinfo: 'America/New_York',
    };

    // Act
    const profile = profileFromClaims(claims);

    // Assess
    expect(profile).toEqual({
      id: 'user123',
      name: {
        full: 'John Doe',
        first: 'John',
        middle: 'A',
        last: 'Doe',
        nickname: 'Johnny',
        preferredUsername: 'jdoe',
      },
      email: { address: 'john@example.com', verified: true },
      picture: 'https://example.com/picture.jpg',
      locale: 'en-US',
      timezone: 'America/New_York',
    });
  });

  it('maps a minimal token with only sub: empty name, no email', () => {
    // Act
    const profile = profileFromClaims({ sub: 'user456' });

    // Assess
    expect(profile).toEqual({ id: 'user456', name: { full: '' } });
    expect(profile.email).toBeUndefined();
  });

  it.each([
    { name: 'the id claim instead of sub', claims: { id: 'user789' }, want: 'user789' },
    { name: 'an empty sub and an id', claims: { sub: '', id: 'user789' }, want: 'user789' },
    { name: 'sub and id', claims: { sub: 'user1', id: 'user2' }, want: 'user1' },
    { name: 'a numeric sub', claims: { sub: 123 }, want: '123' },
    { name: 'a numeric id', claims: { id: 456 }, want: '456' },
  ])('takes the user ID from $name', ({ claims, want }) => {
    // Act
    const profile = profileFromClaims(claims);

    // Assess
    expect(profile.id).toBe(want);
  });

  it.each([
    { name: 'neither sub nor id', claims: { name: 'No ID User' } },
    { name: 'empty sub and id', claims: { sub: '', id: '' } },
    { name: 'a sub that is an object', claims: { sub: { x: 1 } } },
    { name: 'a sub that is a list', claims: { sub: ['a'] } },
    { name: 'a boolean id', claims: { id: true } },
  ])('rejects claims with $name', ({ claims }) => {
    // Act
    const err = profileError(() => profileFromClaims(claims));

    // Assess
    expect(err.message).toContain('sub');
  });

  it.each([
    { name: 'email_verified true', claims: { email_verified: true }, want: true },
    { name: 'email_verified "true"', claims: { email_verified: 'true' }, want: true },
    { name: 'email_verified "1"', claims: { email_verified: '1' }, want: true },
    { name: 'the non-standard verified_email true', claims: { verified_email: true }, want: true },
    { name: 'email_verified false', claims: { email_verified: false }, want: false },
    { name: 'email_verified "false"', claims: { email_verified: 'false' }, want: false },
    { name: 'no verification claim', claims: {}, want: false },
  ])('reads $name as verified: $want', ({ claims, want }) => {
    // Act
    const profile = profileFromClaims({ sub: 'user101', email: 'user@example.com', ...claims });

    // Assess
    expect(profile.email).toEqual({ address: 'user@example.com', verified: want });
  });

  it('keeps no email, and so no verification, without an email claim', () => {
    // Act
    const profile = profileFromClaims({ sub: 'u', email: '', email_verified: true });

    // Assess
    expect(profile.email).toBeUndefined();
  });

  it.each([
    { name: 'given and family names', claims: { given_name: 'Jane', family_name: 'Smith' }, want: 'Jane Smith' },
    {
      name: 'given, middle and family names',
      claims: { given_name: 'Jane', middle_name: 'Q', family_name: 'Smith' },
      want: 'Jane Q Smith',
    },
    { name: 'only a family name', claims: { family_name: 'Smith' }, want: 'Smith' },
    { name: 'a nickname before name parts', claims: { nickname: 'JJ', given_name: 'Jane' }, want: 'JJ' },
    { name: 'only preferred_username', claims: { preferred_username: 'jsmith' }, want: 'jsmith' },
    {
      name: 'name parts before preferred_username',
      claims: { given_name: 'Jane', preferred_username: 'js' },
      want: 'Jane',
    },
    { name: 'name before everything', claims: { name: 'Full', nickname: 'N', preferred_username: 'p' }, want: 'Full' },
    { name: 'an empty name', claims: { name: '', nickname: 'N' }, want: 'N' },
  ])('builds the full name from $name', ({ claims, want }) => {
    // Act
    const profile = profileFromClaims({ sub: 'user202', ...claims });

    // Assess
    expect(profile.name.full).toBe(want);
  });

  it('keeps preferred_username only when it is not empty', () => {
    // Act
    const withIt = profileFromClaims({ sub: 'u', preferred_username: 'jdoe' });
    const empty = profileFromClaims({ sub: 'u', preferred_username: '' });

    // Assess
    expect(withIt.name.preferredUsername).toBe('jdoe');
    expect(empty.name).toEqual({ full: '' });
  });

  it.each([
    { name: 'a groups array', claims: { groups: ['admins', 'users'] }, want: ['admins', 'users'] },
    {
      name: 'a groups string split on whitespace',
      claims: { groups: ' admins  users\tops ' },
      want: ['admins', 'users', 'ops'],
    },
    { name: 'the singular group claim', claims: { group: 'admins' }, want: ['admins'] },
    { name: 'groups before group', claims: { groups: ['a'], group: ['b'] }, want: ['a'] },
    { name: 'an empty groups list, then group', claims: { groups: [], group: 'admins' }, want: ['admins'] },
    { name: 'an empty groups string, then group', claims: { groups: '', group: ['admins'] }, want: ['admins'] },
    { name: 'non-string entries dropped', claims: { groups: ['a', 1, null, '', 'b'] }, want: ['a', 'b'] },
    { name: 'no groups claim', claims: {}, want: undefined },
    { name: 'an object', claims: { groups: { a: 1 } }, want: undefined },
  ])('reads groups from $name', ({ claims, want }) => {
    // Act
    const profile = profileFromClaims({ sub: 'u', ...claims });

    // Assess
    expect(profile.groups).toEqual(want);
  });

  it.each([
    { name: 'a roles array', claims: { roles: ['admin', 'editor'] }, want: ['admin', 'editor'] },
    { name: 'a roles string', claims: { roles: 'admin editor' }, want: ['admin', 'editor'] },
    { name: 'the singular role claim', claims: { role: 'admin' }, want: ['admin'] },
    { name: 'an empty roles list, then role', claims: { roles: [], role: 'admin' }, want: ['admin'] },
    { name: 'no roles claim', claims: {}, want: undefined },
  ])('reads roles from $name', ({ claims, want }) => {
    // Act
    const profile = profileFromClaims({ sub: 'u', ...claims });

    // Assess
    expect(profile.roles).toEqual(want);
  });

  it('keeps additional claims only when listed and present', () => {
    // Prepare
    const claims = { sub: 'u', hd: 'example.com', tid: 'tenant-1', wids: ['w1'], secret_claim: 'x', empty: null };

    // Act
    const profile = profileFromClaims(claims, ['hd', 'wids', 'missing', 'empty']);

    // Assess
    expect(profile.additionalClaims).toEqual({ hd: 'example.com', wids: ['w1'], empty: null });
  });

  it('keeps no additional claims when none are listed', () => {
    // Act
    const profile = profileFromClaims({ sub: 'u', hd: 'example.com' });

    // Assess
    expect(profile.additionalClaims).toBeUndefined();
  });

  it.each([
    { name: 'a numeric name', claims: { name: 5 } },
    { name: 'a list picture', claims: { picture: ['x'] } },
    { name: 'an object email', claims: { email: { a: 1 } } },
    { name: 'a boolean locale', claims: { locale: true } },
  ])('rejects $name of the wrong type, leaving it out of the profile', ({ claims }) => {
    // Act
    const profile = profileFromClaims({ sub: 'u', ...claims });

    // Assess
    expect(profile).toEqual({ id: 'u', name: { full: '' } });
  });
});

describe('upstream profile_test.go: typed claim getters (claimValue)', () => {
  const profile: Profile = {
    id: 'user123',
    name: { full: 'John Doe', first: 'John' },
    groups: ['g1'],
    additionalClaims: { hd: 'example.com', count: 3 },
  };

  it.each([
    { claim: 'provider', want: 'prov' },
    { claim: 'id', want: 'user123' },
    { claim: 'sub', want: 'user123' },
    { claim: 'name', want: 'John Doe' },
    { claim: 'given_name', want: 'John' },
    // Known string claims read as '' when absent
    { claim: 'middle_name', want: '' },
    { claim: 'family_name', want: '' },
    { claim: 'nickname', want: '' },
    { claim: 'preferred_username', want: '' },
    { claim: 'email', want: '' },
    { claim: 'picture', want: '' },
    { claim: 'locale', want: '' },
    { claim: 'zoneinfo', want: '' },
    // email_verified reads as '' when there is no email
    { claim: 'email_verified', want: '' },
    { claim: 'groups', want: ['g1'] },
    { claim: 'roles', want: [] },
    // Additional claims keep their type; absent ones are undefined
    { claim: 'hd', want: 'example.com' },
    { claim: 'count', want: 3 },
    { claim: 'missing', want: undefined },
    { claim: 'constructor', want: undefined },
    { claim: '__proto__', want: undefined },
  ])('reads the claim $claim as $want', ({ claim, want }) => {
    // Act
    const got = claimValue(profile, 'prov', claim);

    // Assess
    expect(got).toEqual(want);
  });

  it.each([
    { verified: true, want: true },
    { verified: false, want: false },
  ])('reads email_verified as the boolean $want when there is an email', ({ verified, want }) => {
    // Act
    const got = claimValue({ ...profile, email: { address: 'a@example.com', verified } }, 'prov', 'email_verified');

    // Assess
    expect(got).toBe(want);
  });
});

/** upstream routes-profile_test.go: createFullTestProfile */
const FULL: Profile = {
  id: 'user123',
  name: { full: 'John Doe', nickname: 'johnd', first: 'John', middle: 'Q', last: 'Doe' },
  email: { address: 'john@example.com', verified: true },
  picture: 'https://example.com/avatar.jpg',
  locale: 'en-US',
  timezone: 'America/New_York',
  groups: ['admins', 'users'],
  roles: ['admin', 'editor'],
};

describe('upstream routes-profile_test.go: TestRouteGetProfile (text layout)', () => {
  it('renders a full profile', () => {
    // Act
    const text = profileText('testoauth2', FULL);

    // Assess
    expect(text).toBe(`Authenticated

Provider: testoauth2
ID: user123
Name:
   Full Name: John Doe
   Nickname: johnd
   First: John
   Middle: Q
   Last: Doe
Email:
   Address: john@example.com
   Verified: true
Picture: https://example.com/avatar.jpg
Locale: en-US
Timezone: America/New_York
Groups:
  - admins
  - users
Roles:
  - admin
  - editor
`);
  });

  it('renders a minimal profile', () => {
    // Act
    const text = profileText('testoauth2', { id: 'user456', name: { full: 'Jane Smith' } });

    // Assess
    expect(text).toBe('Authenticated\n\nProvider: testoauth2\nID: user456\nName:\n   Full Name: Jane Smith\n');
  });

  it('renders a single group and role as Group: and Role:', () => {
    // Act
    const text = profileText('testoauth2', {
      id: 'user_single',
      name: { full: 'Single User' },
      groups: ['developers'],
      roles: ['viewer'],
    });

    // Assess
    expect(text).toBe(
      'Authenticated\n\nProvider: testoauth2\nID: user_single\nName:\n   Full Name: Single User\nGroup: developers\nRole: viewer\n',
    );
  });

  it('renders an unverified email without the Verified line', () => {
    // Act
    const text = profileText('p', {
      id: 'u',
      name: { full: 'U' },
      email: { address: 'u@example.com', verified: false },
    });

    // Assess
    expect(text).toBe(
      'Authenticated\n\nProvider: p\nID: u\nName:\n   Full Name: U\nEmail:\n   Address: u@example.com\n',
    );
  });

  it('renders the preferred username and sorted additional claims', () => {
    // Prepare
    const profile: Profile = {
      id: 'u',
      name: { full: 'U', preferredUsername: 'uu' },
      additionalClaims: { zz: 'last', hd: 'example.com', wids: ['w1', 'w2'], n: 3, flag: true, mixed: [1, 'x'] },
    };

    // Act
    const text = profileText('p', profile);

    // Assess
    expect(text).toBe(
      [
        'Authenticated',
        '',
        'Provider: p',
        'ID: u',
        'Name:',
        '   Full Name: U',
        '   Preferred Username: uu',
        'Additional claims:',
        '   flag: true',
        '   hd: example.com',
        '   mixed:',
        '     - 1',
        '     - x',
        '   n: 3',
        '   wids:',
        '     - w1',
        '     - w2',
        '   zz: last',
        '',
      ].join('\n'),
    );
  });
});

describe('upstream routes-profile_test.go: TestRouteGetProfileJSON', () => {
  // Upstream names the locale key `local` (a typo its tests lock in); fixed to `locale` here (documented).
  it('renders a full profile, with the locale under "locale"', () => {
    // Act
    const json = profileJSON('testoauth2', FULL);

    // Assess
    expect(json).toEqual({
      authenticated: true,
      provider: 'testoauth2',
      id: 'user123',
      name: { full: 'John Doe', nickname: 'johnd', first: 'John', middle: 'Q', last: 'Doe' },
      email: { address: 'john@example.com', verified: true },
      picture: 'https://example.com/avatar.jpg',
      locale: 'en-US',
      timezone: 'America/New_York',
      groups: ['admins', 'users'],
      roles: ['admin', 'editor'],
    });
    expect(json).not.toHaveProperty('local');
  });

  it('renders a minimal profile without optional fields', () => {
    // Act
    const json = profileJSON('testoauth2', { id: 'user456', name: { full: 'Jane Smith' } });

    // Assess
    expect(json).toEqual({ authenticated: true, provider: 'testoauth2', id: 'user456', name: { full: 'Jane Smith' } });
  });

  it('renders an unverified email with verified: false', () => {
    // Act
    const json = profileJSON('p', {
      id: 'u',
      name: { full: 'U' },
      email: { address: 'u@example.com', verified: false },
    });

    // Assess
    expect(json.email).toEqual({ address: 'u@example.com', verified: false });
  });

  it('renders the preferred username and additional claims', () => {
    // Act
    const json = profileJSON('p', {
      id: 'u',
      name: { full: 'U', preferredUsername: 'uu' },
      groups: [],
      additionalClaims: { hd: 'example.com' },
    });

    // Assess
    expect(json).toEqual({
      authenticated: true,
      provider: 'p',
      id: 'u',
      name: { full: 'U', preferredUsername: 'uu' },
      additionalClaims: { hd: 'example.com' },
    });
  });
});

describe('GET P/profile and P/profile.json', () => {
  const TOKEN = 'a'.repeat(43);
  const NOW = Date.UTC(2026, 0, 1);
  const log = createLogger({ level: 'error', json: true, write: () => {} });
  const { config } = validateConfig({
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    portals: [
      {
        name: 'test1',
        providers: [
          { pocketID: { name: 'testoauth2', endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } },
        ],
      },
    ],
  });
  const session: Session = {
    portal: 'test1',
    provider: 'testoauth2',
    profile: FULL,
    createdAt: NOW,
    expiresAt: NOW + 3600_000,
  };

  /** What the login routes pass as the signed-in page: here a marker naming who it was rendered for. */
  const signedInPage: ProfileDeps['signedInPage'] = async (_pr, s, name) =>
    new Response(`page for ${s.profile.id} via ${name}`, { headers: { 'Content-Type': 'text/html; charset=utf-8' } });
  const NAVIGATION = {
    Accept: 'text/html,application/xhtml+xml',
    'Sec-Fetch-Mode': 'navigate',
    'Sec-Fetch-Dest': 'document',
  };

  function call(
    format: 'text' | 'json',
    cookie?: string,
    stored?: Session,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const deps: ProfileDeps = {
      config,
      log,
      now: () => NOW,
      sessions: { get: async (t) => (t === TOKEN ? stored : undefined) },
      signedInPage,
    };
    const headers: Record<string, string> = {
      'X-Forwarded-Host': 'auth.example.com',
      'X-Forwarded-Proto': 'https',
      ...extra,
    };
    if (cookie) headers.cookie = cookie;
    const portal = config.portals[0];
    if (!portal) throw new Error('no portal');
    const pr = portalRequest(
      deps,
      new Request('http://tfa/portals/test1/profile', { headers }),
      portal,
      false,
      'r',
      log,
    );
    return profileRoute(deps, pr, format);
  }

  it('answers the text profile of an authenticated user', async () => {
    // Act
    const res = await call('text', `tf_sess_test1=${TOKEN}`, session);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe(profileText('testoauth2', FULL));
  });

  it('answers the JSON profile of an authenticated user', async () => {
    // Act
    const res = await call('json', `tf_sess_test1=${TOKEN}`, session);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual(profileJSON('testoauth2', FULL));
  });

  it.each([
    { format: 'text' as const, body: 'Error: Not authenticated', type: 'text/plain; charset=utf-8' },
    { format: 'json' as const, body: '{"error":"Not authenticated"}', type: 'application/json; charset=utf-8' },
  ])('rejects a request without a session cookie with 401 ($format)', async ({ format, body, type }) => {
    // Act
    const res = await call(format);

    // Assess
    expect(res.status).toBe(401);
    expect(res.headers.get('Content-Type')).toBe(type);
    expect(await res.text()).toBe(body);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it.each([
    { name: 'an expired or revoked session', cookie: `tf_sess_test1=${TOKEN}` },
    { name: 'a malformed cookie', cookie: 'tf_sess_test1=garbage' },
  ])('rejects $name with 401 and clears the cookie', async ({ cookie }) => {
    // Act
    const res = await call('text', cookie, undefined);

    // Assess
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^tf_sess_test1=; Max-Age=0; Domain=example\.com; Path=\//),
    ]);
  });

  it('shows a browser navigating to P/profile the signed-in page', async () => {
    // Act
    const res = await call('text', `tf_sess_test1=${TOKEN}`, session, NAVIGATION);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toBe('page for user123 via Pocket ID');
  });

  it('sends a browser without a session to the portal (303), which signs it in and returns to P/profile', async () => {
    // Act
    const res = await call('text', 'tf_sess_test1=garbage', undefined, NAVIGATION);

    // Assess
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('https://auth.example.com/portals/test1');
    expect(res.headers.getSetCookie()).toEqual([expect.stringMatching(/^tf_sess_test1=; Max-Age=0/)]);
  });

  it.each([
    ['curl', { Accept: '*/*' }],
    ['a fetch() from a page', { Accept: 'text/html', 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Dest': 'empty' }],
    ['an XMLHttpRequest', { Accept: 'text/html', 'X-Requested-With': 'XMLHttpRequest' }],
  ])("keeps upstream's text profile for %s", async (_name, extra) => {
    // Act
    const res = await call('text', `tf_sess_test1=${TOKEN}`, session, extra);

    // Assess
    expect(res.headers.get('Content-Type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe(profileText('testoauth2', FULL));
  });

  it('keeps the JSON profile for a browser asking for P/profile.json', async () => {
    // Act
    const res = await call('json', `tf_sess_test1=${TOKEN}`, session, NAVIGATION);

    // Assess
    expect(await res.json()).toEqual(profileJSON('testoauth2', FULL));
  });
});
