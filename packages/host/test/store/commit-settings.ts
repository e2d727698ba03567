// Which synchronous setting (FULL, NORMAL) each transaction of a store commits with: the durability tests
// of the stores that relax some writes (docs/federation.md § Durability).
import type { Database, Statement } from 'better-sqlite3';

/** PRAGMA synchronous values. */
export const FULL = 2;
export const NORMAL = 1;

/**
 * The synchronous setting each COMMIT of `db` runs with, while `fn` runs. Read at the COMMIT itself (the
 * statement's run), whoever made the transaction: a savepoint inside one (RELEASE) is no commit.
 */
export function commitSettings(db: Database, fn: () => void): number[] {
  const seen: number[] = [];
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Statement;
  const run = proto.run;
  proto.run = function (this: Statement, ...args: unknown[]) {
    if (this.database === db && this.source === 'COMMIT')
      seen.push(db.pragma('synchronous', { simple: true }) as number);
    return run.apply(this, args as []);
  } as Statement['run'];
  try {
    fn();
  } finally {
    proto.run = run;
  }
  return seen;
}
