// Stores written directly, before a daemon opens them, in the shapes the daemon's own stores write: a
// bench builds a backlog of a million rows in seconds instead of emitting it for minutes. Whoever writes
// `events` rows this way calls recountEvents after (the store counts its own inserts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const { openDatabase, recountEvents } = await import(
  new URL('../../packages/host/dist/index.js', import.meta.url).href
);

/** The store's own recount, for whoever wrote `events` rows here. */
export { recountEvents };

/** A daemon's store in `stateDir`, the directory made as the daemon makes it (0700). */
export function openStateStore(stateDir) {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  return openDatabase(join(stateDir, 'routerd.db'));
}

/** ISO text of a time in ms, remembering the last one: a fill writes the same few times over and over. */
function isoOfLast() {
  let lastMs;
  let lastText;
  return (ms) => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastText = new Date(ms).toISOString();
    }
    return lastText;
  };
}

/**
 * Writes `events` rows as EventStore leaves them: its columns, the payload as JSON text, each time both
 * as ms and as ISO text where the store keeps both. Returns write(e) → the row number. `e`: id, type,
 * payload (an object), storedAtMs, expiresAtMs, and where they differ from the defaults: group (`edge`),
 * sourceNode (`onprem`), subject, observedAtMs (storedAtMs), traceparent, tracestate. Call recountEvents
 * once the rows are written.
 */
export function eventRowWriter(db) {
  const insert = db.prepare(`INSERT INTO events (id, group_name, source_node, type, subject, payload,
    observed_at, expires_at, expires_at_ms, stored_at_ms, traceparent, tracestate)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const [observedIso, expiresIso] = [isoOfLast(), isoOfLast()];
  return (e) =>
    Number(
      insert.run(
        e.id,
        e.group ?? 'edge',
        e.sourceNode ?? 'onprem',
        e.type,
        e.subject ?? null,
        JSON.stringify(e.payload),
        observedIso(e.observedAtMs ?? e.storedAtMs),
        expiresIso(e.expiresAtMs),
        e.expiresAtMs,
        e.storedAtMs,
        e.traceparent ?? null,
        e.tracestate ?? null,
      ).lastInsertRowid,
    );
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
