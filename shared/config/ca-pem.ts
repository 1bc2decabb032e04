import { X509Certificate } from 'node:crypto';

/** One PEM certificate block (text between blocks, such as comments in a bundle, is ignored). */
export const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Validates `tlsCACertificatePEM` / the content of `tlsCACertificatePath`: it must hold at least one
 * `BEGIN CERTIFICATE` block and every block must parse as X.509. Text outside the blocks (comments in a bundle) is
 * ignored. Upstream ignores a bad PEM silently and then fails every TLS call; we report it at config time.
 *
 * @returns an error message to prefix with the key path, or undefined when valid.
 */
export function validateCaPem(pem: string): string | undefined {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) return 'is not a valid PEM certificate: no BEGIN CERTIFICATE block';
  if (blocks.length !== pem.split('-----BEGIN CERTIFICATE-----').length - 1) {
    return 'is not a valid PEM certificate: a BEGIN CERTIFICATE block is not terminated';
  }
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `is not a valid PEM certificate: certificate #${i + 1} cannot be parsed`;
    }
  }
  return undefined;
}
