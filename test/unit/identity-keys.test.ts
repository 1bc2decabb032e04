import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/load.js';
import { IdentityAssertions } from '../../shared/identity/assertion.js';
import {
  AssertionKeyError,
  generatePrivateJwk,
  keySetFromPem,
  keySetFromPrivateJwks,
  newStoredKeys,
  parseStoredKeys,
  rotateStoredKeys,
} from '../../shared/identity/keys.js';
import { standaloneAssertions } from '../../shared/identity/standalone-keys.js';
import { createLogger } from '../../shared/log.js';

const pkcs8 = (type: 'ec' | 'rsa', curve = 'P-256') => {
  const { privateKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: curve })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
};

const dir = mkdtempSync(join(tmpdir(), 'tfa-identity-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('identity assertion keys', () => {
  it('reads one to three PKCS#8 P-256 keys from PEM; the first signs, every key is published with its thumbprint', async () => {
    // Act
    const set = await keySetFromPem(`${pkcs8('ec')}\n${pkcs8('ec')}`, 'k.pem');

    // Assess
    expect(set.jwks.keys).toHaveLength(2);
    expect(set.signing.kid).toBe(set.jwks.keys[0]?.kid);
    expect(set.jwks.keys[0]?.kid).toMatch(/^[\w-]{43}$/);
    expect(JSON.stringify(set.jwks)).not.toMatch(/"d"/);
  });

  it.each([
    ['no PEM at all', () => 'hello', 'k.pem: no PEM block found'],
    [
      'a SEC1 EC key',
      () =>
        generateKeyPairSync('ec', { namedCurve: 'P-256' })
          .privateKey.export({ format: 'pem', type: 'sec1' })
          .toString(),
      "k.pem: block 1 is 'EC PRIVATE KEY', expected an unencrypted PKCS#8 'PRIVATE KEY' (convert with: openssl pkcs8 -topk8 -nocrypt)",
    ],
    ['an RSA key', () => pkcs8('rsa'), 'k.pem: block 1 is not an EC P-256 private key'],
    ['a P-384 key', () => `${pkcs8('ec')}${pkcs8('ec', 'P-384')}`, 'k.pem: block 2 is not an EC P-256 private key'],
    ['four keys', () => [1, 2, 3, 4].map(() => pkcs8('ec')).join(''), 'k.pem: expected 1 to 3 keys'],
    [
      'a damaged key',
      () => '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      'k.pem: block 1 is not an EC P-256 private key',
    ],
  ])('rejects %s, naming the file and never the key', async (_name, pem, message) => {
    // Act
    const load = keySetFromPem(pem(), 'k.pem');

    // Assess
    await expect(load).rejects.toThrow(new AssertionKeyError(message));
  });

  it('rejects the same key listed twice, and a public key without its private part', async () => {
    // Prepare
    const jwk = generatePrivateJwk();
    const { d: _d, ...publicOnly } = jwk;

    // Act + Assess
    await expect(keySetFromPrivateJwks([jwk, jwk], 'set')).rejects.toThrow('set: key 2 is listed twice');
    await expect(keySetFromPrivateJwks([publicOnly], 'set')).rejects.toThrow(
      'set: key 1 is not an EC P-256 private key',
    );
  });

  it.each([
    ['not json', 'f: not a JSON key set'],
    ['{"kty":"EC"}', 'f: not a JSON key set (no "keys" list)'],
    ['null', 'f: not a JSON key set (no "keys" list)'],
  ])('rejects the stored key set %j', (text, message) => {
    // Act
    const parse = () => parseStoredKeys(text, 'f');

    // Assess
    expect(parse).toThrow(message);
  });

  it('rotates current, next into next, new, current', () => {
    // Prepare
    const stored = newStoredKeys();
    const [current, next] = parseStoredKeys(stored, 'f') as { x: string }[];

    // Act
    const rotated = parseStoredKeys(rotateStoredKeys(stored, 'f'), 'f') as { x: string }[];

    // Assess
    expect(rotated.map((k) => k.x)).toEqual([next?.x, expect.any(String), current?.x]);
    expect(new Set(rotated.map((k) => k.x)).size).toBe(3);
  });

  it('rejects a rotation of a set without a next key', () => {
    // Act
    const rotate = () => rotateStoredKeys(JSON.stringify({ keys: [generatePrivateJwk()] }), 'f');

    // Assess
    expect(rotate).toThrow('f: a rotation needs a current and a next key');
  });

  it('retries a failed key load on the next request instead of caching the failure', async () => {
    // Prepare
    let calls = 0;
    const good = await keySetFromPrivateJwks([generatePrivateJwk()], 'set');
    const assertions = new IdentityAssertions(
      async () => {
        calls++;
        if (calls === 1) throw new Error('SSM unavailable');
        return good;
      },
      { max: 10 },
    );

    // Act
    const first = assertions.keySet();
    await expect(first).rejects.toThrow('SSM unavailable');
    const second = await assertions.keySet();
    const third = await assertions.keySet();

    // Assess
    expect(second).toBe(good);
    expect(third).toBe(good);
    expect(calls).toBe(2);
  });
});

describe('standalone key sources', () => {
  const config = (identityAssertion: object, sessions: object = {}) =>
    validateConfig(
      {
        sessions,
        portals: [
          {
            name: 'main',
            identityAssertion: { enabled: true, ...identityAssertion },
            providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
          },
          {
            name: 'ops',
            identityAssertion: { enabled: true, ...identityAssertion },
            providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
          },
          {
            name: 'plain',
            providers: [{ pocketID: { endpoint: 'https://id.example.com', clientID: 'c', clientSecret: 's' } }],
          },
        ],
      },
      'test',
    ).config;

  it('refuses to start with an unreadable keyFile, naming it', async () => {
    // Prepare
    const log = createLogger({ level: 'error', json: true, write: () => {} });

    // Act
    const start = standaloneAssertions(config({ keyFile: join(dir, 'missing.pem') }), log);

    // Assess
    await expect(start).rejects.toThrow(
      `identityAssertion.keyFile '${join(dir, 'missing.pem')}': cannot read it (ENOENT)`,
    );
  });

  it('shares one key set between portals that use the same source, and warns when it can only live in memory', async () => {
    // Prepare
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', json: true, write: (l) => lines.push(l) });

    // Act
    const byPortal = await standaloneAssertions(config({}), log);

    // Assess
    expect([...byPortal.keys()]).toEqual(['main', 'ops']);
    expect(byPortal.get('main')).toBe(byPortal.get('ops'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Identity assertion keys live in memory only/);
  });

  it('keeps the generated key set in the data directory, readable only by its owner, and reuses it', async () => {
    // Prepare
    const log = createLogger({ level: 'error', json: true, write: () => {} });
    const dataDir = join(dir, 'data');

    // Act
    const first = await (await standaloneAssertions(config({}, { embeddedPath: dataDir }), log)).get('main')?.keySet();
    const again = await (await standaloneAssertions(config({}, { embeddedPath: dataDir }), log)).get('main')?.keySet();

    // Assess
    expect(again?.jwks).toEqual(first?.jwks);
    expect(statSync(join(dataDir, 'identity-assertion-keys.json')).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged generated key set rather than replacing it', async () => {
    // Prepare
    const log = createLogger({ level: 'error', json: true, write: () => {} });
    const dataDir = join(dir, 'damaged');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'identity-assertion-keys.json'), '{');

    // Act
    const start = standaloneAssertions(config({}, { embeddedPath: dataDir }), log);

    // Assess
    await expect(start).rejects.toThrow(`${join(dataDir, 'identity-assertion-keys.json')}: not a JSON key set`);
  });
});
