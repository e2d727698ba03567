import type { Database } from 'better-sqlite3';
import { transactionRunner } from './transactions.js';

/**
 * One transaction committed without waiting for the disk: synchronous=NORMAL for its commit, then the
 * connection's own setting again (FULL, see database.ts). Only for writes whose loss in a power cut loses
 * no event: the outbox's delivery marks (a lost "delivered" means one redelivery the receiver absorbs as
 * a duplicate, docs/federation.md § Durability), a prune's chunks (retention.ts). In WAL mode NORMAL still writes the frames at
 * commit (a killed process loses nothing; only a power cut can), and the next FULL commit syncs the log
 * with these frames in it, so nothing committed before a durable commit is ever lost.
 *
 * Inside a transaction already open, `write` simply joins it and shares its durability.
 */
export function relaxedCommitter(db: Database): <T>(write: () => T) => T {
  const transact = transactionRunner(db);
  return <T>(write: () => T): T => {
    if (db.inTransaction) return write();
    // Not prepared once and re-run: SQLite applies `PRAGMA synchronous = N` when it compiles the statement.
    const setting = Number(db.pragma('synchronous', { simple: true }));
    db.pragma('synchronous = NORMAL');
    try {
      return transact(write);
    } finally {
      db.pragma(`synchronous = ${setting}`);
    }
  };
}
