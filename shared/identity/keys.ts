/**
 * The identity-assertion signing keys (DESIGN §3.12): EC P-256 key pairs, as an ordered list of private keys. The
 * first signs; every key is published in the JWKS, so the next key is known to apps before it signs and the previous
 * one still verifies while assertions it signed are alive. The same list is what a standalone server keeps in its
 * data directory and what the AWS stack keeps in its SSM parameter: `{"keys": [<private JWK>, ...]}`.
 */
import { generateKeyPairSync, type webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, importJWK, importPKCS8, type JWK } from 'jose';

export const ASSERTION_ALG = 'ES256';

type CryptoKey = webcrypto.CryptoKey;

/** The public half of a key as the JWKS carries it. */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: typeof ASSERTION_ALG;
  use: 'sig';
}

export interface AssertionKeySet {
  /** The key that signs, with its `kid` (the RFC 7638 thumbprint of its public key). */
  signing: { kid: string; key: CryptoKey };
  /** Every key's public JWK, the signing one first. */
  jwks: { keys: PublicJwk[] };
}

/** A key file or stored key set that cannot be used; the message says what to fix, never the key. */
export class AssertionKeyError extends Error {
  override readonly name = 'AssertionKeyError';
}

const MAX_KEYS = 3;

function isP256Private(jwk: unknown): jwk is JWK & { x: string; y: string; d: string } {
  const k = jwk as Record<string, unknown> | null;
  return (
    typeof k === 'object' &&
    k !== null &&
    k.kty === 'EC' &&
    k.crv === 'P-256' &&
    typeof k.x === 'string' &&
    typeof k.y === 'string' &&
    typeof k.d === 'string'
  );
}

/** Imports private JWKs (first signs). @throws AssertionKeyError for anything but 1-3 EC P-256 private keys. */
export async function keySetFromPrivateJwks(keys: unknown, source: string): Promise<AssertionKeySet> {
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS)
    throw new AssertionKeyError(`${source}: expected 1 to ${MAX_KEYS} keys`);
  const published: PublicJwk[] = [];
  let signing: AssertionKeySet['signing'] | undefined;
  for (const [i, jwk] of keys.entries()) {
    if (!isP256Private(jwk)) throw new AssertionKeyError(`${source}: key ${i + 1} is not an EC P-256 private key`);
    const kid = await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
    if (published.some((p) => p.kid === kid)) throw new AssertionKeyError(`${source}: key ${i + 1} is listed twice`);
    published.push({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid, alg: ASSERTION_ALG, use: 'sig' });
    if (i === 0) {
      const key = await importJWK({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }, ASSERTION_ALG);
      signing = { kid, key: key as CryptoKey };
    }
  }
  if (!signing) throw new AssertionKeyError(`${source}: no signing key`);
  return { signing, jwks: { keys: published } };
}

/** Parses the stored form `{"keys": [...]}`. @throws AssertionKeyError */
export function parseStoredKeys(text: string, source: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AssertionKeyError(`${source}: not a JSON key set`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new AssertionKeyError(`${source}: not a JSON key set (no "keys" list)`);
  return keys;
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * `identityAssertion.keyFile`: one to three PKCS#8 PEM blocks (`BEGIN PRIVATE KEY`), the first signing.
 * @throws AssertionKeyError naming the file and what is wrong with it (never the key).
 */
export async function keySetFromPem(pem: string, source: string): Promise<AssertionKeySet> {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) throw new AssertionKeyError(`${source}: no PEM block found`);
  const jwks: JWK[] = [];
  for (const [i, m] of blocks.entries()) {
    if (m[1] !== 'PRIVATE KEY')
      throw new AssertionKeyError(
        `${source}: block ${i + 1} is '${m[1]}', expected an unencrypted PKCS#8 'PRIVATE KEY' (convert with: openssl pkcs8 -topk8 -nocrypt)`,
      );
    try {
      const key = await importPKCS8(m[0], ASSERTION_ALG, { extractable: true });
      jwks.push(await exportJWK(key));
    } catch {
      throw new AssertionKeyError(`${source}: block ${i + 1} is not an EC P-256 private key`);
    }
  }
  return keySetFromPrivateJwks(jwks, source);
}

/** A fresh EC P-256 private JWK. */
export function generatePrivateJwk(): JWK {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'jwk' }) as JWK;
}

/** A new stored key set: a current and a next key. */
export function newStoredKeys(): string {
  return JSON.stringify({ keys: [generatePrivateJwk(), generatePrivateJwk()] });
}

/**
 * Rotation: the next key starts signing, a new next key is added, and the retiring key stays published (last) until
 * the following rotation, so assertions it signed before the switch still verify.
 */
export function rotateStoredKeys(text: string, source: string): string {
  const [current, next] = parseStoredKeys(text, source);
  if (!isP256Private(current) || !isP256Private(next))
    throw new AssertionKeyError(`${source}: a rotation needs a current and a next key`);
  return JSON.stringify({ keys: [next, generatePrivateJwk(), current] });
}
