/** State directories on small filesystems of their own, and filling those up: a disk that is full. */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@routerd/host/testing';

const mounts: string[] = [];

/**
 * A state directory on its own 32 MiB tmpfs: room for the database and a full write-ahead log (~4 MiB
 * before a checkpoint) with plenty to spare — the fault is a disk filled by something else and then
 * freed. A partition the log fills by itself cannot recover without an operator (docs/how-to/deploy.md
 * § 2), which is not what the tests using it measure. unmountSmallStateFs takes it away again.
 */
export function smallStateFs(prefix: string): { dir: string; stateDir: string } {
  const dir = tempDir(prefix);
  mounts.push(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', dir]);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 }); // the daemon refuses a state directory others can open
  return { dir, stateDir };
}

/** Unmount and remove every filesystem smallStateFs made (for afterAll, once the daemons are stopped). */
export function unmountSmallStateFs(): void {
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m]);
    } catch {}
    rmSync(m, { recursive: true, force: true });
  }
}

/** Write zeros until the filesystem is full (ENOSPC); returns the filler's path. */
export function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return path;
}
