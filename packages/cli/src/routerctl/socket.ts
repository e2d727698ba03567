import { join } from 'node:path';
import { osDefaults, SOCKET_FILE } from '@routerd/host-wire/constants';

export interface SocketChoice {
  path: string;
  /** Which setting chose it, for the "cannot reach" message. */
  from: '--socket' | '--state-dir' | 'ROUTERD_SOCKET' | 'default';
}

/** --socket, then --state-dir, then $ROUTERD_SOCKET, then the daemon's default for this OS. */
export function resolveSocket(
  options: { socket?: string; stateDir?: string },
  env: NodeJS.ProcessEnv,
  platform: string = process.platform,
): SocketChoice {
  if (options.socket) return { path: options.socket, from: '--socket' };
  if (options.stateDir) return { path: join(options.stateDir, SOCKET_FILE), from: '--state-dir' };
  if (env.ROUTERD_SOCKET) return { path: env.ROUTERD_SOCKET, from: 'ROUTERD_SOCKET' };
  return { path: osDefaults(platform).socketPath, from: 'default' };
}
