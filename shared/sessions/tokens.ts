import { randomId } from '../crypto.js';

/** 32 random bytes, base64url: the session cookie value and nothing else. */
export function newToken(): string {
  return randomId(32);
}

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** Cheap syntactic check so garbage never reaches the database. */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_RE.test(token);
}
