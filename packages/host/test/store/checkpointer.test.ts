// Checkpoints off the event loop during a long run of writes: the connection stops checkpointing by
// itself, a worker thread copies the committed log into the database file, and stop() gives the
// connection its own setting back. What reaches the database file is read from a copy of that file
// alone (no log beside it): only checkpointed pages are in it. A real SQLite file and a real worker.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { OffLoopCheckpoints } from '../../src/store/checkpointer.js';
import { openDatabase } from '../../src/store/database.js';

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'routerd-checkpoints-'));
  const db = openDatabase(join(dir, 'routerd.db'));
  db.exec('CREATE TABLE filler (n INTEGER PRIMARY KEY, text TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO filler (text) VALUES (?)');
  const write = (rows: number) =>
    db.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run('x'.repeat(500));
    })();
  /** Rows in the database file itself, as a copy of it without its log reads them. */
  const inFile = () => {
    const copy = join(dir, `copy-${Math.random()}.db`);
    copyFileSync(join(dir, 'routerd.db'), copy);
    const c = new BetterSqlite3(copy, { readonly: true });
    try {
      const exists = c.prepare("SELECT 1 FROM sqlite_master WHERE name = 'filler'").get();
      return exists ? (c.prepare('SELECT COUNT(*) AS n FROM filler').get() as { n: number }).n : 0;
    } finally {
      c.close();
    }
  };
  return { db, write, inFile };
}

describe('OffLoopCheckpoints', () => {
  it('turns the connection’s own checkpoints off, checkpoints on a worker, and gives them back', async () => {
    const { db, write, inFile } = setUp();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const own = db.pragma('wal_autocheckpoint', { simple: true });
    const errors: unknown[] = [];
    const checkpoints = OffLoopCheckpoints.start(db, (err) => errors.push(err))!;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    // Far more than the ~1000 pages after which the connection would have checkpointed by itself.
    write(12_000);
    expect(inFile()).toBe(0); // all of it still only in the log
    checkpoints.written();
    await vi.waitFor(() => expect(inFile()).toBe(12_000));

    await checkpoints.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(own);
    expect(errors).toEqual([]);
    write(10); // the connection still writes after the worker is gone
    db.close();
  });

  it('has nothing to do for a database without a file', () => {
    const db = new BetterSqlite3(':memory:');
    expect(OffLoopCheckpoints.start(db, () => {})).toBeUndefined();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
