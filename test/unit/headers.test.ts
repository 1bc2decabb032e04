import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/load.js';
import type { HeaderConfig, PortalConfig } from '../../shared/config/types.js';
import type { Profile } from '../../shared/profile.js';
import { goJSONString, identityHeaders } from '../../shared/routes/identity-header-values.js';

const PROVIDER = 'testseamless';

/** A real portal from the config loader, renamed `myportal`, with the given `headers` setting. */
const BASE_PORTAL = validateConfig({
  portals: [
    {
      name: 'myportal',
      providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
    },
  ],
}).config.portals[0];

function portal(headers?: HeaderConfig[]): PortalConfig {
  if (!BASE_PORTAL) throw new Error('no portal');
  return { ...BASE_PORTAL, headers };
}

/** The full profile of upstream's TestAuthenticatedClaimHeader. */
const FULL: Profile = {
  id: 'user123',
  name: { full: 'John Doe', first: 'John', middle: 'Q', last: 'Doe', nickname: 'johnd', preferredUsername: 'jdoe' },
  email: { address: 'john@example.com', verified: true },
  picture: 'https://example.com/avatar.jpg',
  locale: 'en-US',
  timezone: 'America/New_York',
  groups: ['admins', 'users'],
  roles: ['admin', 'editor'],
  additionalClaims: {
    custom_string: 'hello',
    custom_number: 42,
    custom_float: 4.5,
    custom_zero: 0,
    custom_bool: true,
    custom_false: false,
    custom_slice: ['one', 'two'],
    custom_object: { a: 1 },
    custom_null: null,
  },
};

const MINIMAL: Profile = { id: 'user123', name: { full: '' } };

/** The value of one custom claim header, or undefined when the header is omitted. */
function claimHeader(claim: string, profile: Profile = FULL): string | undefined {
  const headers = identityHeaders(portal([{ name: 'X-Test', source: { claim } }]), PROVIDER, profile);
  return headers.find(([name]) => name === 'X-Test')?.[1];
}

/** Header values are byte strings: the UTF-8 bytes of a value, one char per byte, read back as text. */
const utf8 = (value: string | undefined) =>
  value === undefined ? undefined : Buffer.from(value, 'latin1').toString('utf8');

describe('upstream headers_test.go: TestAuthenticatedClaimHeader', () => {
  it.each([
    { claim: 'provider', want: 'testseamless' },
    { claim: 'id', want: 'user123' },
    { claim: 'sub', want: 'user123' },
    { claim: 'name', want: 'John Doe' },
    { claim: 'given_name', want: 'John' },
    { claim: 'middle_name', want: 'Q' },
    { claim: 'family_name', want: 'Doe' },
    { claim: 'nickname', want: 'johnd' },
    { claim: 'preferred_username', want: 'jdoe' },
    { claim: 'email', want: 'john@example.com' },
    { claim: 'email_verified', want: 'true' },
    { claim: 'picture', want: 'https://example.com/avatar.jpg' },
    { claim: 'locale', want: 'en-US' },
    { claim: 'zoneinfo', want: 'America/New_York' },
    // Groups and roles are encoded as space-separated lists
    { claim: 'groups', want: 'admins users' },
    { claim: 'roles', want: 'admin editor' },
    // Custom claims: scalars stringified
    { claim: 'custom_string', want: 'hello' },
    { claim: 'custom_number', want: '42' },
    { claim: 'custom_float', want: '4.5' },
    { claim: 'custom_zero', want: '0' },
    { claim: 'custom_bool', want: 'true' },
    { claim: 'custom_false', want: 'false' },
  ])('sends the claim $claim as $want', ({ claim, want }) => {
    // Act
    const value = claimHeader(claim);

    // Assess
    expect(value).toBe(want);
  });

  // Upstream returns an empty value for these; an empty value means the header is omitted (upstream does the same).
  it.each(['custom_slice', 'custom_object', 'custom_null', 'missing', '', 'constructor', '__proto__', 'toString'])(
    'omits the header for the claim %j, which has no scalar value',
    (claim) => {
      // Act
      const value = claimHeader(claim);

      // Assess
      expect(value).toBeUndefined();
    },
  );

  it('sends a single group or role on its own', () => {
    // Prepare
    const profile: Profile = { ...MINIMAL, groups: ['admins'], roles: ['admin'] };

    // Act
    const groups = claimHeader('groups', profile);
    const roles = claimHeader('roles', profile);

    // Assess
    expect(groups).toBe('admins');
    expect(roles).toBe('admin');
  });

  it.each(['name', 'email', 'email_verified', 'picture', 'groups', 'roles', 'nickname', 'locale'])(
    'omits the header for %s with a minimal profile',
    (claim) => {
      // Act
      const value = claimHeader(claim, MINIMAL);

      // Assess
      expect(value).toBeUndefined();
    },
  );

  it('omits groups and roles headers for empty lists', () => {
    // Prepare
    const profile: Profile = { ...MINIMAL, groups: [], roles: [] };

    // Act
    const groups = claimHeader('groups', profile);
    const roles = claimHeader('roles', profile);

    // Assess
    expect(groups).toBeUndefined();
    expect(roles).toBeUndefined();
  });

  it.each([
    { name: 'a verified email', email: { address: 'a@example.com', verified: true }, want: 'true' },
    { name: 'an unverified email', email: { address: 'a@example.com', verified: false }, want: 'false' },
    { name: 'no email', email: undefined, want: undefined },
  ])('sends email_verified $want for $name', ({ email, want }) => {
    // Prepare
    const profile: Profile = { ...MINIMAL, email };

    // Act
    const value = claimHeader('email_verified', profile);

    // Assess
    expect(value).toBe(want);
  });
});

describe('upstream headers_test.go: TestAuthenticatedPropertyHeader', () => {
  // Upstream also returns '' for unknown properties; here the config loader rejects them, so they never get this far.
  it.each([
    { property: 'portal.name' as const, want: 'myportal' },
    { property: 'provider.name' as const, want: 'testseamless' },
  ])('sends the property $property as $want', ({ property, want }) => {
    // Act
    const headers = identityHeaders(portal([{ name: 'X-Prop', source: { property } }]), PROVIDER, MINIMAL);

    // Assess
    expect(headers).toEqual([['X-Prop', want]]);
  });
});

describe('upstream headers_test.go: TestBuiltinAuthenticatedUserHeader', () => {
  function authenticatedUser(profile: Profile): string | undefined {
    return identityHeaders(portal(), PROVIDER, profile).find(([name]) => name === 'X-Authenticated-User')?.[1];
  }

  it('sends provider, portal and user as JSON', () => {
    // Act
    const value = authenticatedUser({ id: 'user123', name: { full: '' } });

    // Assess
    expect(value).toBe('{"provider":"testseamless","portal":"myportal","user":"user123"}');
  });

  it.each([
    { id: 'foo"bar', json: '"foo\\"bar"' },
    { id: 'a\\b', json: '"a\\\\b"' },
    { id: '<script>&', json: '"\\u003cscript\\u003e\\u0026"' },
    { id: 'line\nbreak', json: '"line\\nbreak"' },
    { id: 'x\u2028y', json: '"x\\u2028y"' },
  ])('escapes the user ID $id as JSON', ({ id, json }) => {
    // Act
    const value = authenticatedUser({ id, name: { full: '' } });

    // Assess
    expect(value).toBe(`{"provider":"testseamless","portal":"myportal","user":${json}}`);
    expect(JSON.parse(value ?? '')).toEqual({ provider: 'testseamless', portal: 'myportal', user: id });
  });

  it('sends a non-ASCII user ID as UTF-8 bytes inside the JSON', () => {
    // Act
    const value = authenticatedUser({ id: 'jöhn-日本-🎉', name: { full: '' } });

    // Assess
    expect(utf8(value)).toBe('{"provider":"testseamless","portal":"myportal","user":"jöhn-日本-🎉"}');
  });
});

describe('upstream headers_test.go: TestGetHeadersConfig', () => {
  it('sends X-Forwarded-User, X-Authenticated-User and X-Forwarded-Displayname by default, in that order', () => {
    // Act
    const headers = identityHeaders(portal(), PROVIDER, FULL);

    // Assess
    expect(headers).toEqual([
      ['X-Forwarded-User', 'user123'],
      ['X-Authenticated-User', '{"provider":"testseamless","portal":"myportal","user":"user123"}'],
      ['X-Forwarded-Displayname', 'John Doe'],
    ]);
  });

  it('sends no headers for headers: []', () => {
    // Act
    const headers = identityHeaders(portal([]), PROVIDER, FULL);

    // Assess
    expect(headers).toEqual([]);
  });

  it('sends only the configured headers, in order, without the defaults', () => {
    // Prepare
    const config: HeaderConfig[] = [
      { name: 'X-Forwarded-Email', source: { claim: 'email' } },
      { name: 'X-Forwarded-Groups', source: { claim: 'groups' } },
      { name: 'X-Portal', source: { property: 'portal.name' } },
      { name: 'X-Missing', source: { claim: 'missing' } },
    ];

    // Act
    const headers = identityHeaders(portal(config), PROVIDER, FULL);

    // Assess
    expect(headers).toEqual([
      ['X-Forwarded-Email', 'john@example.com'],
      ['X-Forwarded-Groups', 'admins users'],
      ['X-Portal', 'myportal'],
    ]);
  });

  it('omits the display name header when the profile has no name', () => {
    // Act
    const headers = identityHeaders(portal(), PROVIDER, MINIMAL);

    // Assess
    expect(headers.map(([name]) => name)).toEqual(['X-Forwarded-User', 'X-Authenticated-User']);
  });
});

describe('upstream headers_test.go: TestJSONQuoteString (output identical to Go json.Marshal)', () => {
  it.each([
    { input: '', want: '""' },
    { input: 'user123', want: '"user123"' },
    { input: 'user@example.com', want: '"user@example.com"' },
    { input: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', want: '"3f2504e0-4f89-11d3-9a0c-0305e82c3301"' },
    { input: 'with space', want: '"with space"' },
    { input: 'tilde~and-dash_dot.', want: '"tilde~and-dash_dot."' },
    { input: 'quote"inside', want: '"quote\\"inside"' },
    { input: 'back\\slash', want: '"back\\\\slash"' },
    { input: 'angle<brackets>', want: '"angle\\u003cbrackets\\u003e"' },
    { input: 'amper&sand', want: '"amper\\u0026sand"' },
    { input: 'new\nline', want: '"new\\nline"' },
    { input: 'cr\rreturn', want: '"cr\\rreturn"' },
    { input: 'tab\tchar', want: '"tab\\tchar"' },
    { input: 'bs\bff\f', want: '"bs\\bff\\f"' },
    { input: 'null\u0000byte', want: '"null\\u0000byte"' },
    { input: 'unit\u001fsep', want: '"unit\\u001fsep"' },
    { input: 'del\u007fchar', want: '"del\u007fchar"' },
    { input: 'accented-é', want: '"accented-é"' },
    { input: '日本語', want: '"日本語"' },
    { input: 'emoji-🎉', want: '"emoji-🎉"' },
    { input: 'ls\u2028ps\u2029', want: '"ls\\u2028ps\\u2029"' },
    // Upstream's "invalid-utf8-\xff" case: JavaScript strings cannot hold invalid UTF-8; their counterpart, a lone
    // surrogate (from a "\ud800" escape in a claim, which Go's decoder turns into U+FFFD), becomes U+FFFD.
    { input: 'invalid-\ud800', want: '"invalid-\ufffd"' },
    { input: 'pair-\ud83c\udf89', want: '"pair-🎉"' },
  ])('quotes $input as $want', ({ input, want }) => {
    // Act
    const got = goJSONString(input);

    // Assess
    expect(got).toBe(want);
  });
});

describe('header value limits and encoding', () => {
  it.each([
    { name: '1024 ASCII bytes', value: 'a'.repeat(1024), sent: true },
    { name: '1025 ASCII bytes', value: 'a'.repeat(1025), sent: false },
    { name: '1024 bytes of two-byte characters', value: 'é'.repeat(512), sent: true },
    { name: '1026 bytes of two-byte characters', value: 'é'.repeat(513), sent: false },
    { name: 'a 2 KB picture URL', value: `https://example.com/${'p'.repeat(2048)}`, sent: false },
  ])('sends a value of $name: $sent', ({ value, sent }) => {
    // Prepare
    const profile: Profile = { ...MINIMAL, additionalClaims: { big: value } };

    // Act
    const got = claimHeader('big', profile);

    // Assess
    expect(got === undefined ? undefined : utf8(got)).toBe(sent ? value : undefined);
  });

  it.each(['jöhn', '日本語 名前', 'emoji 🎉', 'x\u2028y', 'café\u00a0noir'])(
    'sends the non-ASCII value %j as its UTF-8 bytes in a latin1 string',
    (name) => {
      // Prepare
      const profile: Profile = { ...MINIMAL, name: { full: name } };

      // Act
      const value = claimHeader('name', profile);

      // Assess
      expect(value).toBeDefined();
      expect(utf8(value)).toBe(name);
      expect([...(value ?? '')].every((c) => c.charCodeAt(0) <= 0xff)).toBe(true);
      expect(new Headers([['X-Test', value ?? '']]).get('X-Test')).toBe(value);
    },
  );

  it('turns line breaks into spaces and drops other control characters, so the header stays valid', () => {
    // Prepare
    const profile: Profile = { id: 'evil\r\nSet-Cookie: x=y', name: { full: 'A\u0000B\u001bC\tD\u007f' } };

    // Act
    const headers = identityHeaders(portal(), PROVIDER, profile);

    // Assess
    expect(Object.fromEntries(headers)).toEqual({
      'X-Forwarded-User': 'evil  Set-Cookie: x=y',
      'X-Authenticated-User': '{"provider":"testseamless","portal":"myportal","user":"evil\\r\\nSet-Cookie: x=y"}',
      'X-Forwarded-Displayname': 'ABC\tD',
    });
    expect(() => new Headers(headers)).not.toThrow();
  });

  it('omits a value that is only control characters', () => {
    // Prepare
    const profile: Profile = { ...MINIMAL, name: { full: '\u0000\u0001' } };

    // Act
    const value = claimHeader('name', profile);

    // Assess
    expect(value).toBeUndefined();
  });

  it('sends a lone surrogate as the UTF-8 bytes of U+FFFD', () => {
    // Prepare
    const profile: Profile = { ...MINIMAL, name: { full: 'x\udc00y' } };

    // Act
    const value = claimHeader('name', profile);

    // Assess
    expect(utf8(value)).toBe('x\ufffdy');
  });
});
