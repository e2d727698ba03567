/**
 * Signals from the bin's first statement until the daemon has started: remembered, then acted on once.
 *
 * Without a handler, SIGHUP, SIGTERM and SIGINT end a Node process at once — and an operator's (or a
 * config manager's) `systemctl reload` or `stop` can come at any time, including while the daemon starts
 * and in the moment between its "ready" line and main() installing its own handlers. A reload request
 * never ends the daemon; a stop request always stops it cleanly, with its state closed, never half-opened.
 */
export interface EarlySignals {
  /**
   * Stop holding. A stop that came meanwhile runs now (and a reload that came with it is dropped: the
   * daemon is going away); otherwise a reload that came meanwhile runs now.
   */
  release(handlers: { stop(signal: StopSignal): void; reload(): void }): void;
}

export type StopSignal = 'SIGTERM' | 'SIGINT';

export function holdSignalsUntilStarted(): EarlySignals {
  let reloadAsked = false;
  let stopAsked: StopSignal | undefined;
  const holdReload = () => {
    reloadAsked = true;
  };
  const holdTerm = () => {
    stopAsked ??= 'SIGTERM';
  };
  const holdInt = () => {
    stopAsked ??= 'SIGINT';
  };
  // SIGHUP last: Node catches SIGTERM and SIGINT itself from the start (to restore the terminal, then die),
  // so only SIGHUP shows from outside (SigCgt) that all three are held.
  process.on('SIGTERM', holdTerm);
  process.on('SIGINT', holdInt);
  process.on('SIGHUP', holdReload);
  return {
    release({ stop, reload }) {
      process.off('SIGHUP', holdReload);
      process.off('SIGTERM', holdTerm);
      process.off('SIGINT', holdInt);
      if (stopAsked) stop(stopAsked);
      else if (reloadAsked) reload();
    },
  };
}
