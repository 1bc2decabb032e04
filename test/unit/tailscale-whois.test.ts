import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TailscaleWhoisConfig } from '../../shared/config/types.js';
import { DependencyError } from '../../shared/errors.js';
import { createTailscaleWhois, whoisProfile } from '../../shared/providers/tailscale-whois.js';
import { catchErrorAsync } from '../helpers/catch-error.js';
import { userDevice } from '../helpers/fakes/tailscaled.js';

const dir = mkdtempSync(join(tmpdir(), 'tfa-ts-unit-'));
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

const config = (over: Partial<TailscaleWhoisConfig> = {}): TailscaleWhoisConfig => ({
  name: 'tailscalewhois',
  displayName: 'Tailscale Whois',
  icon: 'tailscale',
  color: 'slate',
  requestTimeout: 10_000,
  capabilityNames: ['example.com/cap/app'],
  socketPath: join(dir, 'none.sock'),
  path: 'portals[0].providers[0].tailscaleWhois',
  ...over,
});

/** A LocalAPI stand-in on its own socket that answers every request with `status` and `body`. */
async function localApi(name: string, status: number, body: string): Promise<string> {
  const socketPath = join(dir, name);
  const server = createServer((_, res) => res.writeHead(status).end(body));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

describe('whoisProfile (upstream’s mapping)', () => {
  const alice = userDevice({
    ip: '100.64.0.1',
    host: 'laptop',
    tailnet: 'corp.beta.tailscale.net',
    login: 'alice@example.com',
    name: 'Alice',
    picture: 'https://example.com/a.png',
    caps: { 'example.com/cap/app': [{ role: 'admin' }] },
  });

  it('maps a user’s device: local part as ID, login as unverified email, claims with the capability values', () => {
    // Act
    const result = whoisProfile(config(), '100.64.0.1', alice);

    // Assess
    expect(result).toEqual({
      kind: 'user',
      profile: {
        id: 'alice',
        name: { full: 'Alice' },
        email: { address: 'alice@example.com', verified: false },
        picture: 'https://example.com/a.png',
        additionalClaims: {
          hostname: 'laptop.corp.beta.tailscale.net',
          tailnet: 'corp',
          ip: '100.64.0.1',
          'https://example.com/cap/app': [{ role: 'admin' }],
        },
      },
    });
  });

  it('refuses another tailnet when allowedTailnet is set, and reads a body without login name as unknown', () => {
    // Act
    const other = whoisProfile(config({ allowedTailnet: 'example.ts.net' }), '100.64.0.1', alice);
    const nameless = whoisProfile(config(), '100.64.0.1', { Node: {}, UserProfile: {} });

    // Assess
    expect(other).toEqual({ kind: 'otherTailnet', tailnet: 'corp' });
    expect(nameless).toEqual({ kind: 'unknown' });
  });
});

describe('the LocalAPI client', () => {
  it.each([
    ['a 500', 'err.sock', 500, 'boom', /: status 500$/],
    ['a body that is not JSON', 'junk.sock', 200, '<html>', /: answer is not JSON$/],
  ])('turns %s into a 502 DependencyError naming the socket', async (_, name, status, body, detail) => {
    // Prepare
    const socketPath = await localApi(name, status, body);

    // Act
    const err = await catchErrorAsync(
      () => createTailscaleWhois({ ttl: 0, max: 10 }).whois(config({ socketPath }), '100.64.0.1'),
      DependencyError,
    );

    // Assess
    expect(err.status).toBe(502);
    expect(err.detail).toMatch(new RegExp(`^tailscaled LocalAPI at ${socketPath}`));
    expect(err.detail).toMatch(detail);
  });

  it('does not cache a failure: the next check asks again', async () => {
    // Prepare
    const client = createTailscaleWhois({ ttl: 60_000, max: 10 });
    const cfg = config({ socketPath: join(dir, 'later.sock') });
    await catchErrorAsync(() => client.whois(cfg, '100.64.0.1'), DependencyError);
    await localApi('later.sock', 404, 'no match for IP:port');

    // Act
    const result = await client.whois(cfg, '100.64.0.1');

    // Assess
    expect(result).toEqual({ kind: 'unknown' });
  });
});
