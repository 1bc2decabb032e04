import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface EmbeddedDynamoDB {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts the embedded DynamoDB-compatible store (dynalite) on loopback: in memory, or on disk under `path` so that
 * sessions survive a restart.
 */
export async function startEmbeddedDynamoDB(path?: string): Promise<EmbeddedDynamoDB> {
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
