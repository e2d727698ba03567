import BetterSqlite3, { type Database } from 'better-sqlite3';
import { actionJournalMigrations } from './action-journal.js';
import { backupBeforeMigration, type PreMigrationBackup } from './backup.js';
import { deliveryMigrations } from './deliveries.js';
import { dynamicMigrations } from './dynamic-parts.js';
import { eventMigrations } from './events.js';
import { type Migration, runMigrations } from './migrations.js';
import { pluginRunMigrations } from './plugin-runs.js';
import { subscriptionRunMigrations } from './subscription-runs.js';

/** The page cache of a connection, KiB (SQLite's own default is 2000; better-sqlite3's build sets 16000). */
export const CACHE_KIB = 2000;

/** Every table family's migrations. Later families (deliveries, subscription runs, …) are added here. */
export const allMigrations: readonly Migration[] = [
  ...eventMigrations,
  ...deliveryMigrations,
  ...subscriptionRunMigrations,
  ...dynamicMigrations,
  ...pluginRunMigrations,
  ...actionJournalMigrations,
];

export interface OpenDatabaseOptions {
  /** Told where the copy taken before a schema migration went (the daemon logs it). */
  onPreMigrationBackup?: (backup: PreMigrationBackup) => void;
}

/**
 * Open (or create) the state database. WAL lets readers (list, get) run beside the single writer;
 * synchronous=FULL because what the store acknowledges to a user or a peer must survive a power cut.
 * An existing database that needs a schema migration is copied first (`<file>.pre-v<N>.bak`, the last
 * few kept): an upgrade can then be rolled back. If the copy cannot be made, nothing is migrated.
 */
export function openDatabase(
  file: string,
  migrations: readonly Migration[] = allMigrations,
  options: OpenDatabaseOptions = {},
): Database {
  const db = new BetterSqlite3(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // better-sqlite3 builds SQLite with a 16 MB page cache per connection, which fills as the store
    // grows and is never given back: most of a daemon's memory after a million events. The queries use
    // indexes and the kernel caches the file anyway, so 2 MB is enough (issue 18: ≤ 120 MB at 1M events).
    db.pragma(`cache_size = -${CACHE_KIB}`);
    runMigrations(db, migrations, {
      beforeMigrating: (from, to) =>
        options.onPreMigrationBackup?.(backupBeforeMigration(db, file, from, to)),
    });
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
