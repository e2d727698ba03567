// Which synchronous setting (FULL, NORMAL) each transaction of a store commits with: the durability tests
// of the stores that relax some writes (docs/federation.md § Durability).
import type { Database } from 'better-sqlite3';

/** PRAGMA synchronous values. */
export const FULL = 2;
export const NORMAL = 1;

/** The synchronous setting each transaction of `db` commits with, while `fn` runs. */
export function commitSettings(db: Database, fn: () => void): number[] {
  const seen: number[] = [];
  const transaction = db.transaction.bind(db);
  db.transaction = ((body: (...a: unknown[]) => unknown) =>
    transaction((...a: unknown[]) => {
      seen.push(db.pragma('synchronous', { simple: true }) as number);
      return body(...a);
    })) as typeof db.transaction;
  try {
    fn();
  } finally {
    db.transaction = transaction;
  }
  return seen;
}
