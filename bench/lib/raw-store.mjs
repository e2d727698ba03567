// Stores written directly, before a daemon opens them, in the shapes the daemon's own stores write: a
// bench builds a backlog of a million rows in seconds instead of emitting it for minutes. Whoever writes
// `events` rows this way calls recountEvents after (the store counts its own inserts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const { openDatabase } = await import(new URL('../../packages/host/dist/index.js', import.meta.url).href);

/** A daemon's store in `stateDir`, the directory made as the daemon makes it (0700). */
export function openStateStore(stateDir) {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  return openDatabase(join(stateDir, 'routerd.db'));
}

/**
 * Writes outbox rows to the peer `cloud` as DeliveryStore leaves them: `pending` as enqueued, or
 * `delivered` (one attempt, answered 200) as marked. `at` is every time the row records, its first
 * write (`created_ms`) included. Returns write(eventSeq, eventId, at).
 */
export function outboxRowWriter(db, status) {
  const delivered = status === 'delivered';
  const insert = db.prepare(`INSERT INTO deliveries (event_seq, event_id, peer, status, attempts,
    next_attempt_ms, enqueued_ms, updated_ms, created_ms, delivered_ms, last_status)
    VALUES (?, ?, 'cloud', ?, ?, ?, ?, ?, ?, ?, ?)`);
  return (seq, id, at) =>
    insert.run(
      seq,
      id,
      status,
      delivered ? 1 : 0,
      at,
      at,
      at,
      at,
      delivered ? at : null,
      delivered ? 200 : null,
    );
}
