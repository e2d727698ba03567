/** Serve an express app on a unix socket that only the daemon's user may use. */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { connect } from 'node:net';
import type { Clock } from '../clock.js';

export interface SocketServer {
  readonly path: string;
  /** Stop accepting, let in-flight requests finish (at most `graceMs`), remove the socket file. */
  close(graceMs?: number): Promise<void>;
}

export class SocketInUseError extends Error {
  override name = 'SocketInUseError';
}

export async function listenOnSocket(
  handler: RequestListener,
  path: string,
  clock: Clock,
): Promise<SocketServer> {
  await removeStaleSocket(path);
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The state directory is created 0700 as well, so the window before this chmod exposes nothing.
  chmodSync(path, 0o600);
  return { path, close: (graceMs = 10_000) => closeServer(server, path, graceMs, clock) };
}

/**
 * A socket file left by a crashed daemon would make listen() fail with EADDRINUSE. Remove it, but only
 * after making sure nobody answers on it: a second daemon must not steal a live one's socket.
 */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) {
    throw new SocketInUseError(
      `another routerd-eventd is already serving ${path}: stop it first, or use another --state-dir`,
    );
  }
  unlinkSync(path);
}

function closeServer(server: Server, path: string, graceMs: number, clock: Clock): Promise<void> {
  return new Promise((resolve) => {
    const force = clock.setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clock.clear(force);
      // close() normally removes the socket file; make sure, so the next start finds a clean directory.
      if (existsSync(path)) unlinkSync(path);
      resolve();
    });
    server.closeIdleConnections();
  });
}
