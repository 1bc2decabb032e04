import { readFile } from 'node:fs/promises';
import { AssertionError } from './errors.js';
import type { AssertionSource } from './source.js';

/**
 * A Kubernetes service-account token source. The file is re-read on every call because the kubelet rotates projected
 * tokens in place; its audience is whatever the projection was configured with.
 *
 * @throws AssertionError `ERR_ASSERTION_CONFIG` at creation when `path` is empty.
 */
export function createKubernetesSource(path: string): AssertionSource {
  if (path === '') throw new AssertionError('ERR_ASSERTION_CONFIG', 'Kubernetes service account token path is empty');

  return {
    async get(): Promise<string> {
      let content: string;
      try {
        content = await readFile(path, 'utf8');
      } catch (err) {
        const reason = err instanceof Error && 'code' in err ? ` (${String(err.code)})` : '';
        throw new AssertionError(
          'ERR_ASSERTION_FILE',
          `failed to read Kubernetes service account token from '${path}'${reason}`,
          { cause: err },
        );
      }
      const token = content.trim();
      if (token === '') {
        throw new AssertionError('ERR_ASSERTION_FILE', `Kubernetes service account token file '${path}' is empty`);
      }
      return token;
    },
  };
}
