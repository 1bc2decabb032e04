import { type Standalone, startStandalone } from '../../../bin/standalone.js';
import { DEMO_USERS, type DevIdp, type DevIdpOptions, startDevIdp } from '../../../dev/idp.js';
import { validateConfig } from '../../../shared/config/load.js';
import { createLogger } from '../../../shared/log.js';
import { TEST_CLIENT } from '../../helpers/stack.js';
import { type EchoApp, startEchoApp } from './upstream.js';

export { TEST_CLIENT };

/** A second client of the dev IdP, for portals with two providers. */
export const SECOND_CLIENT = { clientId: 'tfa-test-second', clientSecret: 'second-client-secret-0123456789' };

/**
 * Users of the e2e IdP: the demo users, one whose ID token carries no name claim at all, and one whose name is not
 * ASCII (its identity header must reach the app as UTF-8 bytes through every proxy).
 */
export const E2E_USERS = { ...DEMO_USERS, nameless: {}, zoe: { name: 'Zoë Ünïcode 名前' } };

export interface E2EStack {
  idp: DevIdp;
  server: Standalone;
  /** `http://127.0.0.1:<port>` of the standalone auth server. */
  authUpstream: string;
  echo: EchoApp;
  /** The server's log lines (JSON), for failure messages. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * The real standalone server (in process, embedded session store) with the dev OpenID provider (Pocket ID paths,
 * PKCE required) and the echo app, all on 127.0.0.1; the server on `port` (default: any free port).
 */
export async function startE2EStack(
  config: (issuer: string) => unknown,
  opts: { idp?: Partial<DevIdpOptions>; port?: number } = {},
): Promise<E2EStack> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    await Promise.allSettled(closers.reverse().map((c) => c()));
  };
  try {
    const idp = await startDevIdp({
      clients: [TEST_CLIENT, SECOND_CLIENT],
      users: E2E_USERS,
      requirePkce: true,
      allowRedirect: () => true,
      ...opts.idp,
    });
    closers.push(() => idp.close());
    const logs: string[] = [];
    const log = createLogger({ level: 'debug', json: true, write: (l) => logs.push(l) });
    const { config: valid } = validateConfig(config(idp.issuer), 'e2e config');
    const server = await startStandalone({ config: valid, port: opts.port ?? 0, bind: '127.0.0.1', log, env: {} });
    closers.push(() => server.close());
    const echo = await startEchoApp();
    closers.push(() => echo.close());
    return { idp, server, authUpstream: server.url, echo, logs, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A Pocket ID provider entry for the dev IdP (its first test client unless `extra` says otherwise). */
export function pocketID(issuer: string, extra: Record<string, unknown> = {}) {
  return {
    pocketID: { endpoint: issuer, clientID: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret, ...extra },
  };
}
