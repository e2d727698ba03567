/** A daemon whose clock is off, by Debian's libfaketime (package faketime; .ci/run installs it). */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function libfaketime(): string {
  // Debian puts it under the multiarch directory: /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1.
  const dirs = ['/usr/lib', ...readdirSync('/usr/lib').map((d) => join('/usr/lib', d))];
  const lib = dirs.map((d) => join(d, 'faketime', 'libfaketime.so.1')).find((f) => existsSync(f));
  if (!lib) throw new Error('libfaketime is not installed: apt-get install -y faketime');
  return lib;
}

/**
 * A TestDaemon prefix that shifts the daemon's clock by `offset` (libfaketime's syntax: -600s, +20m).
 * The library is preloaded through env(1), which execs: the `faketime` command forks instead, and a
 * SIGTERM to it would leave the daemon running.
 */
export function fakeClock(offset: string): string[] {
  return ['env', `LD_PRELOAD=${libfaketime()}`, `FAKETIME=${offset}`];
}
