import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** The provider tokens kept with a session: the ID token (for `id_token_hint`) and a refresh token (revalidation). */
export interface SessionSecrets {
  idToken?: string;
  refreshToken?: string;
}

const VERSION = 'v1';
const INFO = 'tfa-serverless session vault v1';

/**
 * The key that seals a session's provider tokens: HKDF-SHA256 of the session cookie token. The table stores the
 * session under SHA-256(token) and never the token itself, so a copy of the table cannot open what is sealed here.
 */
function keyFor(token: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(token, 'utf8'), Buffer.alloc(0), INFO, 32));
}

/** AES-256-GCM under the token's key: `v1.<iv>.<ciphertext+tag>` (base64url). */
export function seal(token: string, secrets: SessionSecrets): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(token), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** Opens what {@link seal} produced with the same token; undefined when it is not ours or was tampered with. */
export function unseal(token: string, sealed: string | undefined): SessionSecrets | undefined {
  if (!sealed) return undefined;
  const [version, ivText, bodyText, ...rest] = sealed.split('.');
  if (version !== VERSION || !ivText || !bodyText || rest.length > 0) return undefined;
  const iv = Buffer.from(ivText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (iv.length !== 12 || body.length < 17) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(token), iv);
    decipher.setAuthTag(body.subarray(body.length - 16));
    const text = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
      'utf8',
    );
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const out: SessionSecrets = {};
    if (typeof parsed.idToken === 'string') out.idToken = parsed.idToken;
    if (typeof parsed.refreshToken === 'string') out.refreshToken = parsed.refreshToken;
    return out;
  } catch {
    return undefined;
  }
}
