/** The federation receiver on real loopback HTTP, for tests that drive it with real requests. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createReceiverHandler,
  listenReceiver,
  type ReceiverOptions,
} from '../../src/federation/receiver.js';

export const LIMITS = { maxConnections: 256, maxConnectionsPerAddress: 16 };

/**
 * A receiver of group `edge` on node `cloud` (a 300 s replay window, 1 MiB bodies) listening on
 * 127.0.0.1 at a free port: its server (to close) and base URL.
 */
export async function listenOnLoopback(
  opts: Omit<ReceiverOptions, 'group' | 'node' | 'replayWindowMs' | 'bodyLimitBytes'>,
): Promise<{ server: Server; base: string }> {
  const app = createReceiverHandler({
    group: 'edge',
    node: 'cloud',
    replayWindowMs: 300_000,
    bodyLimitBytes: 1024 * 1024,
    ...opts,
  });
  const server = await listenReceiver(app, {
    address: '127.0.0.1',
    port: 0,
    allowWildcard: false,
    ...LIMITS,
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
