/**
 * Copies of the state database: an online backup while the daemon runs (`routerctl backup`), and the
 * copy taken before a schema migration. Both are consistent snapshots (committed transactions only,
 * the write-ahead log included), written to a new file that is 0600 from its first byte — a backup
 * holds every event and claim the database does.
 */
import { closeSync, openSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { MigrationError } from './migrations.js';

/** Create `file` empty and private; refuse one that exists (EEXIST): a backup never overwrites. */
function createPrivateFile(file: string): void {
  closeSync(openSync(file, 'wx', 0o600));
}

/**
 * SQLite's online backup API (better-sqlite3's `db.backup()`): copies a batch of pages, yields to the
 * event loop, goes on — writers are not blocked, and pages they change meanwhile are copied again.
 */
export async function backupOnline(db: Database, file: string): Promise<void> {
  createPrivateFile(file);
  try {
    await db.backup(file);
  } catch (err) {
    rmSync(file, { force: true });
    throw err;
  }
}

/** How many pre-migration backups are kept beside the database (the newest by target version). */
export const PRE_MIGRATION_BACKUPS_KEPT = 3;

/** `routerd.db.pre-v40.bak`: the database as it was before it was migrated to schema version 40. */
export function preMigrationBackupFile(dbFile: string, targetVersion: number): string {
  return `${dbFile}.pre-v${targetVersion}.bak`;
}

export interface PreMigrationBackup {
  file: string;
  fromVersion: number;
  toVersion: number;
  /** False when a backup for this target version was already there (an earlier, interrupted upgrade): it is kept as it is. */
  created: boolean;
  /** Older pre-migration backups removed to keep the last PRE_MIGRATION_BACKUPS_KEPT. */
  removed: string[];
}

/**
 * Before migrating an existing database: copy it to `<db>.pre-v<target>.bak` and keep only the last
 * few such copies. Synchronous (VACUUM INTO), because it runs at start, before anything is served.
 * An existing copy for the same target is kept, not replaced: after an upgrade that stopped half way,
 * it is the one taken from the schema the previous version used.
 */
export function backupBeforeMigration(
  db: Database,
  dbFile: string,
  fromVersion: number,
  toVersion: number,
): PreMigrationBackup {
  const file = preMigrationBackupFile(dbFile, toVersion);
  let created = true;
  try {
    try {
      createPrivateFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      created = false;
    }
    if (created) db.prepare('VACUUM INTO ?').run(file);
  } catch (err) {
    if (created) rmSync(file, { force: true });
    const e = err as NodeJS.ErrnoException;
    const full = e.code === 'SQLITE_FULL' || e.code === 'ENOSPC';
    throw new MigrationError(
      `cannot copy the database to ${file} before migrating it from schema version ${fromVersion} to ${toVersion} ` +
        `(${e.code ?? 'error'}: ${e.message}), so nothing was migrated: ` +
        (full
          ? `the state directory ${dirname(dbFile)} is full — free at least the size of ${basename(dbFile)} there and start again`
          : `fix the cause and start again`),
    );
  }
  return { file, fromVersion, toVersion, created, removed: prunePreMigrationBackups(dbFile) };
}

function prunePreMigrationBackups(dbFile: string): string[] {
  const dir = dirname(dbFile);
  const pattern = new RegExp(`^${escapeRegExp(basename(dbFile))}\\.pre-v(\\d+)\\.bak$`);
  const backups = readdirSync(dir)
    .map((name) => ({ name, version: Number(pattern.exec(name)?.[1] ?? Number.NaN) }))
    .filter((b) => Number.isSafeInteger(b.version))
    .sort((a, b) => b.version - a.version);
  const removed = backups.slice(PRE_MIGRATION_BACKUPS_KEPT).map((b) => join(dir, b.name));
  for (const file of removed) rmSync(file, { force: true });
  return removed;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
