import type { Database } from 'better-sqlite3';

/**
 * One schema change. Versions are global and strictly increasing across every table family; a family
 * module exports its own list and `allMigrations` below concatenates them. To add a table or column:
 * append `{ version: <highest + 1>, name, up }` to the family's list (or a new family module's) and
 * add that list here. Applied migrations are never edited.
 */
export interface Migration {
  version: number;
  name: string;
  up: string | ((db: Database) => void);
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface RunMigrationsOptions {
  /**
   * Called once before the first pending migration of a database that already has a schema (never for
   * a new one, never when nothing is pending): the place to take a copy it can be rolled back to.
   */
  beforeMigrating?: (fromVersion: number, toVersion: number) => void;
}

export function runMigrations(
  db: Database,
  migrations: readonly Migration[],
  options: RunMigrationsOptions = {},
): { applied: number[] } {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (i > 0 && sorted[i - 1]!.version === m.version) {
      throw new MigrationError(
        `two migrations share version ${m.version}: ${sorted[i - 1]!.name} and ${m.name}`,
      );
    }
  });
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const current =
    (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  const newest = sorted.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new MigrationError(
      `the database is at schema version ${current}, newer than this routerd-eventd knows (${newest}): ` +
        'run the newer routerd-eventd, or use another --state-dir',
    );
  }
  if (current > 0 && newest > current) options.beforeMigrating?.(current, newest);
  // applied_at is a record for whoever reads the database, never an input to behaviour: SQLite's own clock
  // stamps it, so opening a database needs no clock.
  const record = db.prepare(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
  );
  const applied: number[] = [];
  for (const m of sorted) {
    if (m.version <= current) continue;
    // Each migration and its record commit together: a crash leaves the schema at a known version.
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      record.run(m.version, m.name);
    })();
    applied.push(m.version);
  }
  return { applied };
}
