import BetterSqlite3, { type Database } from 'better-sqlite3';
import { deliveryMigrations } from './deliveries.js';
import { dynamicMigrations } from './dynamic-parts.js';
import { eventMigrations } from './events.js';
import { type Migration, runMigrations } from './migrations.js';
import { pluginRunMigrations } from './plugin-runs.js';
import { subscriptionRunMigrations } from './subscription-runs.js';

/** Every table family's migrations. Later families (deliveries, subscription runs, …) are added here. */
export const allMigrations: readonly Migration[] = [
  ...eventMigrations,
  ...deliveryMigrations,
  ...subscriptionRunMigrations,
  ...dynamicMigrations,
  ...pluginRunMigrations,
];

/**
 * Open (or create) the state database. WAL lets readers (list, get) run beside the single writer;
 * synchronous=FULL because what the store acknowledges to a user or a peer must survive a power cut.
 */
export function openDatabase(file: string, migrations: readonly Migration[] = allMigrations): Database {
  const db = new BetterSqlite3(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    runMigrations(db, migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
