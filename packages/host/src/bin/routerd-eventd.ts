import { holdReloadsUntilStarted } from '../daemon/early-reloads.js';
import { tuneDaemonProcess } from '../daemon/process-tuning.js';

// First: a SIGHUP during start-up is a reload for later, not the end of the process.
const earlyReloads = holdReloadsUntilStarted();
// Before the daemon's modules load: arktype reads its configuration when it is first imported.
await tuneDaemonProcess();
const { main } = await import('../daemon/main.js');

main(process.argv.slice(2), earlyReloads).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`routerd-eventd: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
