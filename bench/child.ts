// A benchmark child process: either the real standalone server (config JSON in BENCH_CONFIG) or a trivial
// Node HTTP server answering 200 with an empty body (the baseline). Prints its port on stdout.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStandalone } from '../bin/standalone.js';
import { validateConfig } from '../shared/config/load.js';
import { createLogger } from '../shared/log.js';

if (process.env.BENCH_BASELINE) {
  const server = createServer((_req, res) => res.writeHead(200).end());
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
} else {
  const { config } = validateConfig(JSON.parse(process.env.BENCH_CONFIG ?? '{}'), 'bench');
  const log = createLogger({ level: 'error', json: true });
  const s = await startStandalone({ config, port: 0, bind: '127.0.0.1', log });
  console.log(`PORT ${s.port}`);
}

// Exit normally on SIGTERM so `--cpu-prof` (NODE_OPTIONS) can write its profile.
process.on('SIGTERM', () => process.exit(0));
