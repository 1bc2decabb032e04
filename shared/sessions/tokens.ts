import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: the session cookie value and nothing else. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Random base64url string of `bytes` bytes (state ids, nonces, binding secrets). */
export function randomId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** Cheap syntactic check so garbage never reaches the database. */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_RE.test(token);
}

/** SHA-256, base64url. Sessions are stored under the hash of their token, so a table leak yields no cookie. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** Constant-time string comparison for secrets. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
