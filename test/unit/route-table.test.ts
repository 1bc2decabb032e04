/**
 * The one route table (shared/config/routes.ts): the paths it expands to with a basePath and a default portal, as the
 * app registers them and as the front door routes them.
 */
import { describe, expect, it } from 'vitest';
import { apiRoutes, routeKey } from '../../infra/routes.js';
import { portalPath, ROUTES, routePaths } from '../../shared/config/routes.js';
import type { Config } from '../../shared/config/types.js';

const config = (basePath: string, defaultPortal?: string) =>
  ({ server: { basePath }, defaultPortal, portals: [] }) as unknown as Config;

describe('portalPath', () => {
  it.each([
    ['', false, '', '/portals/main'],
    ['', true, '', '/'],
    ['', true, '/signin', '/signin'],
    ['/auth', false, '/oauth2/callback', '/auth/portals/main/oauth2/callback'],
    ['/auth', true, '', '/auth'],
  ])('basePath %j, short %s, suffix %j → %s', (bp, short, suffix, expected) => {
    expect(portalPath(config(bp), 'main', short, suffix)).toBe(expected);
  });
});

describe('routePaths', () => {
  it('expands a portal route to the long form, its aliases (app only) and the default portal short form', () => {
    expect(routePaths(config('/auth', 'main'), ROUTES.verify, { aliases: true })).toEqual([
      { path: '/auth/portals/{portal}' },
      { path: '/auth/portals/{portal}/' },
      { path: '/auth', portal: 'main' },
      { path: '/auth/', portal: 'main' },
    ]);
  });

  it('serves the bearer API both at /api and below the basePath', () => {
    expect(routePaths(config('/auth'), ROUTES.apiVerify)).toEqual([
      { path: '/api/portals/{portal}/verify' },
      { path: '/auth/api/portals/{portal}/verify' },
    ]);
  });
});

describe('apiRoutes', () => {
  it('routes exactly the verify and callback paths away from the default (login) function, and names the login flow', () => {
    const routes = apiRoutes(config('/auth', 'main'));
    expect(routes.map((r) => `${r.method} ${r.path} ${r.fn}${r.loginFlow ? ' (login flow)' : ''}`)).toEqual([
      'GET /auth/portals/{portal} verify',
      'GET /auth verify',
      'GET /api/portals/{portal}/verify verify',
      'GET /auth/api/portals/{portal}/verify verify',
      'GET /healthz verify',
      'GET /auth/portals/{portal}/.well-known/jwks.json verify',
      'GET /auth/.well-known/jwks.json verify',
      // Login, the default function, but throttled on its own route key (infra/limits.ts).
      'GET /auth/portals/{portal}/providers/{provider} login (login flow)',
      'GET /auth/providers/{provider} login (login flow)',
      'GET /auth/portals/{portal}/oauth2/callback callback (login flow)',
      'GET /auth/oauth2/callback callback (login flow)',
      // Session renewal: the refresh-token grant needs the client credential, which only callback reads.
      'GET /auth/portals/{portal}/oauth2/renew callback',
      'GET /auth/oauth2/renew callback',
      'POST /auth/portals/{portal}/oauth2/backchannel-logout callback',
      'POST /auth/oauth2/backchannel-logout callback',
    ]);
    expect(routeKey(routes[7] as (typeof routes)[number])).toBe('GET /auth/portals/{portal}/providers/{provider}');
  });
});
