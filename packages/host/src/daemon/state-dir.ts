import { accessSync, chmodSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE } from '@routerd/host-wire/constants';

/** The state directory cannot be used: the message says which and what to do. */
export class StateDirError extends Error {
  override name = 'StateDirError';
}

/** The database and the files SQLite keeps beside it (WAL mode). */
const DB_FILES = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`];

export interface PreparedStateDir {
  /** Database files that were readable by group or others and are now 0600 (the daemon logs them). */
  madePrivate: string[];
}

/**
 * Create the state directory if needed, make sure it is private and the daemon can write there (its
 * database, the WAL beside it and the control socket) — before SQLite gets to say only "unable to open
 * database file". The database holds every event: the directory must be 0700 and the files 0600.
 *
 * A directory open to group or others is refused, not changed: the daemon cannot tell its own directory
 * from a shared one passed by mistake (`--state-dir /var/lib`), and making that 0700 would break whatever
 * else lives there. Database files inside it are the daemon's own, so those are made 0600 (older versions
 * left them 0644), and a new database is created 0600 — SQLite gives its -wal and -shm the same mode.
 */
export function prepareStateDir(path: string): PreparedStateDir {
  let stats: ReturnType<typeof statSync>;
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    stats = statSync(path);
  } catch (err) {
    throw unwritable(path, err as NodeJS.ErrnoException);
  }
  if (!stats.isDirectory())
    throw new StateDirError(`the state directory ${path} is not a directory: pass another --state-dir`);
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new StateDirError(
      `the state directory ${path} is open to group or others (mode ${mode.toString(8)}), but its database holds every event: run chmod 700 ${path} (or pass a directory of its own as --state-dir)`,
    );
  }
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
    const madePrivate: string[] = [];
    for (const name of DB_FILES) {
      const file = join(path, name);
      const existing = statOrUndefined(file);
      if (existing && (existing.mode & 0o077) !== 0) {
        chmodSync(file, 0o600);
        madePrivate.push(file);
      }
    }
    // Created here, empty and 0600 from the start, so SQLite opens it rather than creating it 0644.
    closeSync(openSync(join(path, DB_FILE), constants.O_WRONLY | constants.O_CREAT, 0o600));
    return { madePrivate };
  } catch (err) {
    throw unwritable(path, err as NodeJS.ErrnoException);
  }
}

function unwritable(path: string, e: NodeJS.ErrnoException): StateDirError {
  const why = e.code === 'EROFS' ? 'its filesystem is read-only' : `${e.code ?? 'error'}: ${e.message}`;
  return new StateDirError(
    `cannot write to the state directory ${path} (${why}): the daemon keeps its database and control socket there — remount it read-write, fix its owner and mode, or pass another --state-dir`,
  );
}

function statOrUndefined(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
