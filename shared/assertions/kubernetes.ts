import { AssertionError } from './errors.js';
import type { AssertionSource } from './source.js';
import { readTokenFile } from './token-file.js';

/**
 * A Kubernetes service-account token source. The file is re-read on every call because the kubelet rotates projected
 * tokens in place; its audience is whatever the projection was configured with.
 *
 * @throws AssertionError `ERR_ASSERTION_CONFIG` at creation when `path` is empty.
 */
export function createKubernetesSource(path: string): AssertionSource {
  if (path === '') throw new AssertionError('ERR_ASSERTION_CONFIG', 'Kubernetes service account token path is empty');

  return {
    get: () =>
      readTokenFile(path, {
        unreadable: `failed to read Kubernetes service account token from '${path}'`,
        empty: `Kubernetes service account token file '${path}' is empty`,
      }),
  };
}
