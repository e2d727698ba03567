import { holdSignalsUntilStarted } from '../daemon/early-signals.js';
import { tuneDaemonProcess } from '../daemon/process-tuning.js';

// First: a SIGHUP during start-up is a reload for later, and a SIGTERM or SIGINT a clean stop once there is
// a daemon to stop, never the end of the process halfway through opening its state.
const earlySignals = holdSignalsUntilStarted();
// Before the daemon's modules load: arktype reads its configuration when it is first imported.
await tuneDaemonProcess();
const { main } = await import('../daemon/main.js');

main(process.argv.slice(2), earlySignals).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`routerd-eventd: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
