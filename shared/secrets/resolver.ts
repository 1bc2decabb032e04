import { readFile } from 'node:fs/promises';
import type { SecretRef } from '../config/types.js';

/** Fetches a Secrets Manager secret string; injected so only the callback function carries the SDK. */
export type SecretsManagerFetch = (secretId: string) => Promise<string>;

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

export interface SecretResolverOptions {
  env?: Record<string, string | undefined>;
  secretsManager?: SecretsManagerFetch;
  /** How long a fetched Secrets Manager value is reused. @default 5 minutes */
  cacheTtlMs?: number;
  now?: () => number;
}

/**
 * Resolves client secrets lazily, at the first token exchange, and caches them: inline values, files (trimmed,
 * unlike upstream), environment variables, or Secrets Manager (cached for minutes, not Powertools' 5 s default).
 * Secret values never appear in errors.
 */
export class SecretResolver {
  private readonly cache = new Map<string, { value: Promise<string>; until: number }>();
  private readonly ttl: number;
  private readonly now: () => number;

  constructor(private readonly opts: SecretResolverOptions = {}) {
    this.ttl = opts.cacheTtlMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  resolve(ref: SecretRef): Promise<string> {
    const key = JSON.stringify(ref);
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const value = this.load(ref);
    // Concurrent callers share one fetch; a failed fetch is not cached.
    this.cache.set(key, {
      value,
      until: ref.kind === 'secretsManager' ? this.now() + this.ttl : Number.POSITIVE_INFINITY,
    });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  private async load(ref: SecretRef): Promise<string> {
    switch (ref.kind) {
      case 'inline':
        return ref.value;
      case 'file': {
        let text: string;
        try {
          text = await readFile(ref.path, 'utf8');
        } catch (err) {
          throw new SecretError(`cannot read client secret file '${ref.path}': ${(err as NodeJS.ErrnoException).code}`);
        }
        const value = text.trim();
        if (!value) throw new SecretError(`client secret file '${ref.path}' is empty`);
        return value;
      }
      case 'env': {
        const value = this.opts.env?.[ref.name]?.trim();
        if (!value) throw new SecretError(`environment variable '${ref.name}' with the client secret is not set`);
        return value;
      }
      case 'secretsManager': {
        if (!this.opts.secretsManager) throw new SecretError('Secrets Manager is not available in this process');
        const raw = await this.opts.secretsManager(ref.secretId);
        const value = ref.jsonKey ? String((JSON.parse(raw) as Record<string, unknown>)[ref.jsonKey] ?? '') : raw;
        if (!value.trim()) throw new SecretError(`secret '${ref.secretId}' is empty`);
        return value.trim();
      }
    }
  }
}
