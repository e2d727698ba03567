/**
 * Where routerd keeps its files by default, per operating system: one answer for routerd-eventd,
 * routerctl, the service units in deploy/ and deploy/install.sh (a test holds them to it). No
 * dependencies, so routerctl can read it on its hot path (`@routerd/host-wire/constants` exports it).
 */

/** The database and the control socket, inside the state directory. */
export const DB_FILE = 'routerd.db';
export const SOCKET_FILE = 'routerd.sock';

export interface OsDefaults {
  /** The YAML config files and keys/ (read, never written, by the daemon). */
  configDir: string;
  /** routerd.db and routerd.sock: owned by the daemon's user, mode 0700. */
  stateDir: string;
  /** The control socket routerctl talks to when told nothing else. */
  socketPath: string;
}

/** The BSDs follow hier(7): third-party config under /usr/local/etc, daemon state under /var/db. */
const BSD_PLATFORMS: ReadonlySet<string> = new Set(['freebsd', 'openbsd', 'netbsd']);

export function osDefaults(platform: string = process.platform): OsDefaults {
  const bsd = BSD_PLATFORMS.has(platform);
  const stateDir = bsd ? '/var/db/routerd' : '/var/lib/routerd';
  return {
    configDir: bsd ? '/usr/local/etc/routerd' : '/etc/routerd',
    stateDir,
    socketPath: `${stateDir}/${SOCKET_FILE}`,
  };
}
