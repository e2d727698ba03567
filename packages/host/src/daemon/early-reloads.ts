/**
 * SIGHUP from the bin's first statement until the daemon has started: remembered, then applied as one
 * reload. Without a handler, a SIGHUP ends a Node process — and an operator's (or a config manager's)
 * `systemctl reload` can come at any time, including while the daemon starts and just after it says it is
 * ready. A reload request never ends the daemon, whenever it comes.
 */
export interface EarlyReloads {
  /** Stop holding; `reload` runs now if a SIGHUP came meanwhile. */
  release(reload: () => void): void;
}

export function holdReloadsUntilStarted(): EarlyReloads {
  let asked = false;
  const hold = () => {
    asked = true;
  };
  process.on('SIGHUP', hold);
  return {
    release(reload) {
      process.off('SIGHUP', hold);
      if (asked) reload();
    },
  };
}
