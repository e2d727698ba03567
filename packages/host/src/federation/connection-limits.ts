import type { Server } from 'node:net';

export interface ConnectionLimits {
  /** Open connections to this receiver, all remote addresses together. */
  maxConnections: number;
  /** Open connections from one remote address. */
  maxConnectionsPerAddress: number;
}

/** A connection closed at once because a cap was reached. */
export interface DroppedConnection {
  cap: 'total' | 'per-address';
  remoteAddress: string;
}

/**
 * Cap a listening server's open connections, in total and per remote address, so idle sockets cannot
 * use up the daemon's file descriptors (and with them the control socket and the store). The total cap
 * is Node's own `maxConnections` (the socket is closed before any HTTP state exists); the per-address
 * cap closes the socket as soon as it is accepted.
 */
export function limitConnections(
  server: Server,
  limits: ConnectionLimits,
  onDropped: (dropped: DroppedConnection) => void,
): void {
  server.maxConnections = limits.maxConnections;
  server.on('drop', (data?: { remoteAddress?: string }) =>
    onDropped({ cap: 'total', remoteAddress: data?.remoteAddress ?? 'unknown' }),
  );
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= limits.maxConnectionsPerAddress) {
      socket.destroy();
      onDropped({ cap: 'per-address', remoteAddress: address });
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
