/** One problem in the configuration, at a dotted key path such as `portals[0].providers[1].pocketID.endpoint`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Thrown when the configuration is invalid; carries every issue found, not only the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly issues: ConfigIssue[],
    readonly source?: string,
  ) {
    super(
      `Invalid configuration${source ? ` in ${source}` : ''} (${issues.length} ${issues.length === 1 ? 'error' : 'errors'}):\n` +
        issues.map((i) => `  - ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n'),
    );
  }
}

/** Keys whose values must never be echoed back in an error message. */
const SECRET_KEYS = /(secret|signingkey|pem)$/i;

/** Whether a key (`clientSecret`, `tlsKeyPEM`, ...) holds a secret whose value must never be shown. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.test(key.replace(/\[\d+\]$/, ''));
}

/** Renders a bad value for an error message, hiding secrets and truncating long values. */
export function showValue(path: string, value: unknown): string {
  const key = path.split('.').pop() ?? '';
  if (isSecretKey(key)) return '(value hidden)';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
