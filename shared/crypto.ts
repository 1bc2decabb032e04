import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Random base64url string of `bytes` bytes (session tokens, state ids, nonces, binding secrets). */
export function randomId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
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
