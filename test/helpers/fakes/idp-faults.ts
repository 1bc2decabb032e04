import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevIdp } from '../../../dev/idp.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Makes the real dev IdP fail on command: `stop()` closes its listener (connections refused, as a crashed or
 * unreachable provider), `start()` listens again on the same port with the same keys; `slowMs` holds every answer
 * back that long (longer than the provider's `requestTimeout` makes it time out).
 */
export class IdpFaults {
  slowMs = 0;
  private readonly port: number;
  private readonly host: string;

  constructor(private readonly idp: DevIdp) {
    const addr = idp.server.address() as AddressInfo;
    this.port = addr.port;
    this.host = addr.address;
    const listeners = idp.server.listeners('request') as Listener[];
    idp.server.removeAllListeners('request');
    idp.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const go = () => {
        for (const l of listeners) l(req, res);
      };
      if (this.slowMs > 0) setTimeout(go, this.slowMs).unref();
      else go();
    });
  }

  async stop(): Promise<void> {
    this.idp.server.closeAllConnections();
    await new Promise<void>((resolve) => this.idp.server.close(() => resolve()));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.idp.server.listen(this.port, this.host, resolve));
  }
}
