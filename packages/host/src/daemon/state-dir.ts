import { accessSync, constants, mkdirSync } from 'node:fs';

/** The state directory cannot be used: the message says which and what to do. */
export class StateDirError extends Error {
  override name = 'StateDirError';
}

/**
 * Create the state directory if needed and make sure the daemon can write there (its database, the WAL
 * beside it and the control socket) — before SQLite gets to say only "unable to open database file".
 * A filesystem that came back read-only after a crash (fsck, errors=remount-ro) is the usual cause.
 */
export function prepareStateDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EROFS' ? 'its filesystem is read-only' : `${e.code ?? 'error'}: ${e.message}`;
    throw new StateDirError(
      `cannot write to the state directory ${path} (${why}): the daemon keeps its database and control socket there — remount it read-write, fix its owner and mode, or pass another --state-dir`,
    );
  }
}
