import { readFile } from 'node:fs/promises';
import { AssertionError } from './errors.js';

/**
 * Reads a projected token file (Kubernetes service-account token, Azure federated token) and trims it.
 * @param messages how the failures read for this source (the path is the caller's to include)
 * @throws AssertionError `ERR_ASSERTION_FILE` when the file cannot be read or is empty.
 */
export async function readTokenFile(path: string, messages: { unreadable: string; empty: string }): Promise<string> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? ` (${String(err.code)})` : '';
    throw new AssertionError('ERR_ASSERTION_FILE', `${messages.unreadable}${reason}`, { cause: err });
  }
  const token = content.trim();
  if (token === '') throw new AssertionError('ERR_ASSERTION_FILE', messages.empty);
  return token;
}
