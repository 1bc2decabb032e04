/**
 * Identity header values reach the wire as the UTF-8 bytes of the user's name, on both of the standalone server's
 * paths (the verify fast path and the core through @hono/node-server), read as raw socket bytes: Node sends the
 * header block in a string body's encoding, which re-encoded each byte above 0x7F (`Zoë` left as `ZoÃ«`).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Standalone, startStandalone } from '../../bin/standalone.js';
import { validateConfig } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log.js';

const POCKET = { pocketID: { endpoint: 'https://id.example.com', clientID: 'x', clientSecret: 'y' } };
const NAME = 'Zoë Ünïcode 名前';
const EMAIL = 'zoë@exämple.com';
const servers: Record<'fast' | 'core', Standalone> = {} as never;
const tokens: Record<'fast' | 'core', string> = {} as never;
/** A session whose name and id are ASCII (an ASCII body) in a portal that sends the non-ASCII email as a header. */
const asciiNameTokens: Record<'fast' | 'core', string> = {} as never;

beforeAll(async () => {
  const { config } = validateConfig({
    server: { domains: [{ domain: 'example.com', authHost: 'auth.example.com' }] },
    portals: [
      { name: 'main', providers: [POCKET] },
      { name: 'mail', providers: [POCKET], headers: [{ name: 'X-Forwarded-Email', claim: 'email' }] },
    ],
  });
  const log = createLogger({ level: 'error', json: true, write: () => {} });
  for (const path of ['fast', 'core'] as const) {
    const server = await startStandalone({ config, log, port: 0, bind: '127.0.0.1', fastPath: path === 'fast' });
    servers[path] = server;
    const now = Date.now();
    tokens[path] = await server.sessions.create({
      portal: 'main',
      provider: 'pocketid',
      profile: { id: 'zoë', name: { full: NAME } } as never,
      createdAt: now,
      expiresAt: now + 3_600_000,
    });
    asciiNameTokens[path] = await server.sessions.create({
      portal: 'mail',
      provider: 'pocketid',
      profile: { id: 'zoe', name: { full: 'Zoe' }, email: { address: EMAIL, verified: true } } as never,
      createdAt: now,
      expiresAt: now + 3_600_000,
    });
  }
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

/** One HTTP/1.1 exchange on a plain socket; the header lines (and the body) exactly as the bytes that arrived. */
function rawExchange(port: number, request: string): Promise<Map<string, Buffer> & { body?: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const head = all.subarray(0, all.indexOf('\r\n\r\n'));
      const out: Map<string, Buffer> & { body?: Buffer } = new Map<string, Buffer>();
      out.body = all.subarray(head.length + 4);
      let start = head.indexOf('\r\n') + 2;
      while (start > 1 && start < head.length) {
        const end = head.indexOf('\r\n', start);
        const line = head.subarray(start, end < 0 ? head.length : end);
        const colon = line.indexOf(':');
        out.set(line.subarray(0, colon).toString('latin1').toLowerCase(), line.subarray(colon + 2));
        start = end < 0 ? head.length : end + 2;
      }
      resolve(out);
    });
  });
}

/** A signed-in forward-auth check of `https://app.example.com/` in `portal`, as the bytes sent. */
function signedInCheck(portal: string, token: string): string {
  return (
    `GET /portals/${portal} HTTP/1.1\r\nHost: tfa\r\nX-Forwarded-Host: app.example.com\r\nX-Forwarded-Proto: https\r\n` +
    `X-Forwarded-Uri: /\r\nCookie: tf_sess_${portal}=${token}\r\nConnection: close\r\n\r\n`
  );
}

describe('non-ASCII identity headers on the standalone server', () => {
  it.each(['fast', 'core'] as const)('arrive as their UTF-8 bytes, not double-encoded (%s path)', async (path) => {
    // Act
    const headers = await rawExchange(servers[path].port, signedInCheck('main', tokens[path]));

    // Assess: C3 AB for ë, not C3 83 C2 AB.
    expect(headers.get('x-forwarded-displayname')?.toString('hex')).toBe(Buffer.from(NAME, 'utf8').toString('hex'));
    expect(headers.get('x-forwarded-user')?.toString('hex')).toBe(Buffer.from('zoë', 'utf8').toString('hex'));
    expect(headers.body?.toString('utf8')).toBe(`You are authenticated with provider 'Pocket ID' as '${NAME}' ('zoë')`);
  });

  it.each(['fast', 'core'] as const)('arrive as their UTF-8 bytes when the body is ASCII (%s path)', async (path) => {
    // Act: the fast path sends an ASCII body as latin1, in one write with the header block.
    const headers = await rawExchange(servers[path].port, signedInCheck('mail', asciiNameTokens[path]));

    // Assess
    expect(headers.get('x-forwarded-email')?.toString('hex')).toBe(Buffer.from(EMAIL, 'utf8').toString('hex'));
    expect(headers.body?.toString('latin1')).toBe("You are authenticated with provider 'Pocket ID' as 'Zoe' ('zoe')");
    expect(headers.get('content-length')?.toString('latin1')).toBe(String(headers.body?.length));
  });
});

describe('X-Content-Type-Options on every answer', () => {
  const FWD = 'X-Forwarded-Host: app.example.com\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Uri: /\r\n';
  it.each([
    ['a signed-in check', (t: string) => `GET /portals/main HTTP/1.1\r\n${FWD}Cookie: tf_sess_main=${t}\r\n`],
    ['a check without a session (303)', () => `GET /portals/main HTTP/1.1\r\n${FWD}Accept: text/html\r\n`],
    [
      'a check for a host that is not ours (400)',
      () => 'GET /portals/main HTTP/1.1\r\nX-Forwarded-Host: evil.test\r\n',
    ],
    ['the health check (204)', () => 'GET /healthz HTTP/1.1\r\n'],
    ['an unknown path (404)', () => 'GET /nothing-here HTTP/1.1\r\n'],
    ['the sign-in page', () => `GET /portals/main/signin?return=aHR0cHM6Ly9hcHAuZXhhbXBsZS5jb20v HTTP/1.1\r\n${FWD}`],
    [
      'a cross-origin logout (403)',
      () => `POST /portals/main/logout HTTP/1.1\r\n${FWD}Origin: https://evil.test\r\nContent-Length: 0\r\n`,
    ],
  ])('says nosniff on %s, on both paths', async (_name, request) => {
    for (const path of ['fast', 'core'] as const) {
      // Act
      const headers = await rawExchange(
        servers[path].port,
        `${request(tokens[path])}Host: tfa\r\nConnection: close\r\n\r\n`,
      );

      // Assess
      expect(headers.get('x-content-type-options')?.toString('latin1'), path).toBe('nosniff');
    }
  });
});
