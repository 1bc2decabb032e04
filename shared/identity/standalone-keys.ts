/**
 * Where the standalone server's identity-assertion keys come from: a portal's `identityAssertion.keyFile`, or a key
 * set generated once and kept in the embedded store's data directory (in memory, with a warning, without one).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { IdentityAssertions } from './assertion.js';
import {
  AssertionKeyError,
  type AssertionKeySet,
  keySetFromPem,
  keySetFromPrivateJwks,
  newStoredKeys,
  parseStoredKeys,
} from './keys.js';

/** The generated key set's file in the data directory (`sessions.embeddedPath`, `--data-dir`). */
export const GENERATED_KEYS_FILE = 'identity-assertion-keys.json';

/**
 * One `IdentityAssertions` per key source, mapped from the names of the portals that use it. Keys are loaded here, at
 * start-up, so a bad key file stops the server with a message naming it rather than failing the first check.
 * @throws AssertionKeyError for an unreadable or unusable key file.
 */
export async function standaloneAssertions(config: Config, log: Logger): Promise<Map<string, IdentityAssertions>> {
  const bySource = new Map<string, IdentityAssertions>();
  const byPortal = new Map<string, IdentityAssertions>();
  for (const portal of config.portals) {
    const ia = portal.identityAssertion;
    if (!ia) continue;
    const source = ia.keyFile ?? '';
    let assertions = bySource.get(source);
    if (!assertions) {
      const keys = ia.keyFile ? await keysFromFile(ia.keyFile) : await generatedKeys(config, log);
      assertions = new IdentityAssertions(async () => keys, { max: config.sessions.verifyCacheSize });
      bySource.set(source, assertions);
    }
    byPortal.set(portal.name, assertions);
  }
  return byPortal;
}

async function keysFromFile(file: string): Promise<AssertionKeySet> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new AssertionKeyError(`identityAssertion.keyFile '${file}': cannot read it (${errCode(err)})`);
  }
  return keySetFromPem(pem, `identityAssertion.keyFile '${file}'`);
}

async function generatedKeys(config: Config, log: Logger): Promise<AssertionKeySet> {
  const dir = config.sessions.dynamoDBEndpoint ? undefined : config.sessions.embeddedPath;
  if (!dir) {
    log.warn(
      'Identity assertion keys live in memory only: every restart (and every instance) signs with a new key, so apps must re-fetch the JWKS; set identityAssertion.keyFile, or sessions.embeddedPath / --data-dir to keep a generated key',
    );
    return keySetFromPrivateJwks(parseStoredKeys(newStoredKeys(), 'generated keys'), 'generated keys');
  }
  const file = join(dir, GENERATED_KEYS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new AssertionKeyError(`${file}: cannot read it (${errCode(err)})`);
    text = newStoredKeys();
    await mkdir(dir, { recursive: true });
    // `wx`: never overwrite a key set another process wrote meanwhile; read that one instead.
    try {
      await writeFile(file, text, { mode: 0o600, flag: 'wx' });
      log.info('Generated identity assertion keys', { file });
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new AssertionKeyError(`${file}: cannot write it (${errCode(writeErr)})`);
      text = await readFile(file, 'utf8');
    }
  }
  return keySetFromPrivateJwks(parseStoredKeys(text, file), file);
}

const errCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? 'error';
