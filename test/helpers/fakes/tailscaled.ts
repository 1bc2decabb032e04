import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A whois answer as tailscaled's LocalAPI gives it (apitype.WhoIsResponse, the fields the provider reads). */
export interface FakeWhois {
  Node: {
    ID: number;
    StableID: string;
    /** MagicDNS name with the trailing dot, e.g. `laptop.corp.ts.net.` */
    Name: string;
    ComputedName?: string;
    Addresses: string[];
    Tags?: string[];
    Hostinfo: { Hostname?: string; ShareeNode?: boolean };
  };
  UserProfile: { ID: number; LoginName: string; DisplayName: string; ProfilePicURL?: string };
  CapMap?: Record<string, unknown[]>;
}

/**
 * A loopback stand-in for tailscaled's LocalAPI: `GET /localapi/v0/whois?addr=<ip>[:port]` over a unix socket in a
 * temporary directory, answering from `devices` (404 "no match for IP:port" otherwise), and refusing a request
 * whose Host is not `local-tailscaled.sock` as tailscaled does. `stop()` removes the socket, as a stopped daemon.
 */
export class FakeTailscaled {
  readonly devices = new Map<string, FakeWhois>();
  readonly requests: { target: string; headers: IncomingHttpHeaders }[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'tfa-tailscaled-'));
  readonly socketPath = join(this.dir, 'tailscaled.sock');
  private server: Server | undefined;

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.requests.push({ target: req.url ?? '', headers: req.headers });
      const url = new URL(req.url ?? '/', 'http://local-tailscaled.sock');
      if (req.headers.host !== 'local-tailscaled.sock') {
        res.writeHead(403).end('invalid localapi request');
        return;
      }
      if (req.method !== 'GET' || url.pathname !== '/localapi/v0/whois') {
        res.writeHead(404).end('404 page not found');
        return;
      }
      // `addr` is an IP or IP:port ([v6]:port); the port plays no part in the lookup.
      const addr = url.searchParams.get('addr') ?? '';
      const ip = /^\[(.*)\]:\d+$/.exec(addr)?.[1] ?? (/^[\d.]+:\d+$/.test(addr) ? addr.split(':')[0] : addr);
      const found = this.devices.get(ip ?? '');
      if (!found) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no match for IP:port');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(found));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server)
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A user's device in tailnet `tailnet`, with its capability map. */
export function userDevice(o: {
  ip: string;
  host: string;
  tailnet: string;
  login: string;
  name: string;
  picture?: string;
  caps?: Record<string, unknown[]>;
  sharee?: boolean;
}): FakeWhois {
  return {
    Node: {
      ID: 1,
      StableID: `n-${o.host}`,
      Name: `${o.host}.${o.tailnet}.`,
      ComputedName: o.host,
      Addresses: [`${o.ip}/32`],
      Hostinfo: { Hostname: o.host, ...(o.sharee ? { ShareeNode: true } : {}) },
    },
    UserProfile: { ID: 7, LoginName: o.login, DisplayName: o.name, ...(o.picture ? { ProfilePicURL: o.picture } : {}) },
    ...(o.caps ? { CapMap: o.caps } : {}),
  };
}
