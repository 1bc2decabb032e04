import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/load.js';
import { identityHeaders } from '../../shared/routes/identity-header-values.js';

/** Issue 12 §3: two providers of one portal may issue the same user id; the app must be able to tell them apart. */
const pocket = { pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } };
const github = { github: { clientID: 'g', clientSecret: 's' } };

function load(portal: Record<string, unknown>) {
  return validateConfig({ portals: [{ name: 'main', ...portal }] });
}

const warnings = (portal: Record<string, unknown>) =>
  load(portal)
    .notices.filter((n) => n.level === 'warn')
    .map((n) => n.message);

describe('a portal with several providers', () => {
  it('warns at config load that X-Forwarded-User is ambiguous, naming the option that namespaces it', () => {
    // Act
    const got = warnings({ providers: [pocket, github] });

    // Assess
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/portal 'main' has 2 providers/);
    expect(got[0]).toContain("'portals[0].namespaceUserIds: true'");
    expect(got[0]).toContain('<provider>:<id>');
  });

  it.each([
    { name: 'namespaced user ids', portal: { providers: [pocket, github], namespaceUserIds: true } },
    { name: 'one provider', portal: { providers: [pocket] } },
    {
      name: 'no header with the id',
      portal: { providers: [pocket, github], headers: [{ name: 'X-Email', claim: 'email' }] },
    },
  ])('does not warn with $name', ({ portal }) => {
    // Act
    const got = warnings(portal);

    // Assess
    expect(got).toEqual([]);
  });

  it('warns for a custom header mapped to the id claim', () => {
    // Act
    const got = warnings({ providers: [pocket, github], headers: [{ name: 'X-User', claim: 'id' }] });

    // Assess
    expect(got).toHaveLength(1);
  });

  it('rejects a namespaceUserIds that is not a boolean', () => {
    // Act
    const run = () => load({ providers: [pocket], namespaceUserIds: 'yes' });

    // Assess
    expect(run).toThrow(/namespaceUserIds/);
  });
});

describe('identity headers with namespaceUserIds', () => {
  const profile = { id: 'zoe', name: { full: 'Zoe' } };

  it('sends <provider>:<id> in X-Forwarded-User, and the bare id in the X-Authenticated-User summary', () => {
    // Prepare
    const portal = load({ providers: [pocket, github], namespaceUserIds: true }).config.portals[0];
    if (!portal) throw new Error('no portal');

    // Act
    const headers = Object.fromEntries(identityHeaders(portal, 'github', profile));

    // Assess
    expect(headers['X-Forwarded-User']).toBe('github:zoe');
    expect(JSON.parse(headers['X-Authenticated-User'] ?? '{}')).toEqual({
      provider: 'github',
      portal: 'main',
      user: 'zoe',
    });
  });

  it('namespaces a custom header mapped to the id claim, not other claims', () => {
    // Prepare
    const portal = load({
      providers: [pocket, github],
      namespaceUserIds: true,
      headers: [
        { name: 'X-User', claim: 'id' },
        { name: 'X-Name', claim: 'name' },
      ],
    }).config.portals[0];
    if (!portal) throw new Error('no portal');

    // Act
    const headers = Object.fromEntries(identityHeaders(portal, 'pocketid', profile));

    // Assess
    expect(headers).toEqual({ 'X-User': 'pocketid:zoe', 'X-Name': 'Zoe' });
  });

  it('sends the bare id by default (upstream behaviour)', () => {
    // Prepare
    const portal = load({ providers: [pocket] }).config.portals[0];
    if (!portal) throw new Error('no portal');

    // Act
    const headers = Object.fromEntries(identityHeaders(portal, 'pocketid', profile));

    // Assess
    expect(headers['X-Forwarded-User']).toBe('zoe');
  });
});
