/**
 * The outbox: one row per (event, peer) for every event this node originates that a peer's push filter
 * matches. Rows are written in the same transaction as the event, so an event is never stored without
 * its deliveries (or the other way round). Knows SQL, nothing about HTTP.
 */

import type {
  DeliveriesQuery,
  Delivery,
  DeliveryStatus,
  PeerRecord,
  PeerStateName,
  PeerSummary,
} from '@routerd/host-wire';
import type { Database, Statement } from 'better-sqlite3';
import { type EventRow, type StoredEvent, toStoredEvent } from './events.js';
import type { Migration } from './migrations.js';
import { relaxedCommitter } from './relaxed-commit.js';
import { statementCache } from './statement-cache.js';
import { type Transact, transactionRunner } from './transactions.js';

/**
 * The delivery lag the doctor judges is the worst among deliveries completed this recently: an outage
 * that is over and drained stops warning after this long (not after the 7 days delivered rows are kept).
 */
export const RECENT_LAG_WINDOW_MS = 15 * 60_000;
/** delivery_lag keeps a little more than the window, by the minute. */
const LAG_MINUTES_KEPT = RECENT_LAG_WINDOW_MS / 60_000 + 1;

export const deliveryMigrations: Migration[] = [
  {
    version: 10,
    name: 'deliveries',
    up: `
      CREATE TABLE deliveries (
        event_seq INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        peer TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'expired')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        enqueued_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        delivered_ms INTEGER,
        last_status INTEGER,
        last_error TEXT,
        PRIMARY KEY (event_id, peer)
      );
      CREATE INDEX deliveries_due ON deliveries (peer, status, next_attempt_ms, event_seq);
      CREATE TABLE received_webhooks (
        sender TEXT NOT NULL,
        webhook_id TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        PRIMARY KEY (sender, webhook_id)
      );
      CREATE INDEX received_webhooks_age ON received_webhooks (received_ms);
      CREATE TABLE peer_state (
        peer TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_attempt_ms INTEGER,
        last_success_ms INTEGER,
        last_error TEXT,
        last_error_ms INTEGER
      );
    `,
  },
  {
    // Only pending rows are ever looked up by (peer, status, next attempt): delivered, failed and expired
    // ones (a week of them, kept for routerctl) only made every insert and mark maintain a bigger index,
    // and a mark move a row within it instead of dropping it (enqueue + mark ~30 % cheaper).
    version: 52,
    name: 'deliveries-due-pending-only',
    up: `
      DROP INDEX deliveries_due;
      CREATE INDEX deliveries_due ON deliveries (peer, status, next_attempt_ms, event_seq) WHERE status = 'pending';
    `,
  },
  {
    // The outbox summary (routerctl federation deliveries summary, the doctor, the status page) counted
    // every row of the ledger — a week of delivered rows, ~1 s at a million — on the daemon's only thread.
    // Counts per (peer, status) are kept by triggers, exact at every commit whoever writes; the oldest
    // pending row is the first of a pending-only index; the worst recent lag is kept per minute.
    version: 55,
    name: 'deliveries-summary-counters',
    up: `
      CREATE TABLE delivery_counts (
        peer TEXT NOT NULL,
        status TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (peer, status)
      ) WITHOUT ROWID;
      INSERT INTO delivery_counts (peer, status, n) SELECT peer, status, COUNT(*) FROM deliveries GROUP BY peer, status;
      CREATE TRIGGER deliveries_count_insert AFTER INSERT ON deliveries BEGIN
        INSERT INTO delivery_counts (peer, status, n) VALUES (NEW.peer, NEW.status, 1)
          ON CONFLICT (peer, status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER deliveries_count_delete AFTER DELETE ON deliveries BEGIN
        UPDATE delivery_counts SET n = n - 1 WHERE peer = OLD.peer AND status = OLD.status;
      END;
      CREATE TRIGGER deliveries_count_update AFTER UPDATE OF peer, status ON deliveries
        WHEN OLD.peer IS NOT NEW.peer OR OLD.status IS NOT NEW.status BEGIN
        UPDATE delivery_counts SET n = n - 1 WHERE peer = OLD.peer AND status = OLD.status;
        INSERT INTO delivery_counts (peer, status, n) VALUES (NEW.peer, NEW.status, 1)
          ON CONFLICT (peer, status) DO UPDATE SET n = n + 1;
      END;
      CREATE INDEX deliveries_pending_age ON deliveries (peer, enqueued_ms) WHERE status = 'pending';
      CREATE TABLE delivery_lag (
        peer TEXT NOT NULL,
        minute INTEGER NOT NULL,
        max_lag_ms INTEGER NOT NULL,
        PRIMARY KEY (peer, minute)
      ) WITHOUT ROWID;
      INSERT INTO delivery_lag (peer, minute, max_lag_ms)
        SELECT peer, delivered_ms / 60000, MAX(delivered_ms - enqueued_ms) FROM deliveries
        WHERE status = 'delivered' AND delivered_ms IS NOT NULL GROUP BY peer, delivered_ms / 60000;
      DELETE FROM delivery_lag WHERE minute < (SELECT MAX(minute) FROM delivery_lag) - ${LAG_MINUTES_KEPT};
    `,
  },
  {
    // A status change is counted by the store, per statement (DeliveryStore.moved): the row trigger fired
    // for every row a mark moved and cost about a third of it (~2.3 of ~8 µs per row, issue 18), a tenth
    // of the sender's CPU while a backlog drains. Inserts and deletes keep theirs; every status change is
    // a statement of DeliveryStore.
    version: 59,
    name: 'deliveries-status-moves-counted-by-store',
    up: 'DROP TRIGGER deliveries_count_update;',
  },
  {
    // When a row was first written, never changed after (a refresh moves enqueued_ms, not this): retention
    // walks the table in rowid order, the order rows are written in, and stops at the first row written
    // within the last 7 days instead of reading every row of a week's outbox each minute (issue 18). Rows
    // from before this migration read 0, "written long ago": the walk passes over them, as it used to.
    version: 61,
    name: 'deliveries-created-ms',
    up: 'ALTER TABLE deliveries ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;',
  },
];

/**
 * A due row as due() reads it: the event's columns (EventRow's, in its order), then enqueued_ms, attempts,
 * next_attempt_ms, event_seq, then the event's trace context.
 */
type DueRow = [
  string,
  string,
  string,
  string,
  string | null,
  string | null,
  string,
  string,
  string | null,
  number,
  number,
  number,
  number,
  string | null,
  string | null,
];

/** A row's place in the order due rows are read (next attempt, then event): the outbox's read cursor. */
export interface DuePosition {
  nextAttemptMs: number;
  seq: number;
}

export function isAfter(a: DuePosition, b: DuePosition): boolean {
  return a.nextAttemptMs > b.nextAttemptMs || (a.nextAttemptMs === b.nextAttemptMs && a.seq > b.seq);
}

/** Which due rows a read leaves out: those up to a position, and/or these event ids (rows on the wire). */
export interface DueSkip {
  after?: DuePosition;
  ids?: ReadonlySet<string>;
}

/**
 * One request's worth of due rows; full when the count or byte budget stopped it, not the rows running
 * out; first and last: the positions of its first and last rows.
 */
export interface DueBatch {
  deliveries: DueDelivery[];
  full: boolean;
  first: DuePosition | undefined;
  last: DuePosition | undefined;
}

export interface DueDelivery {
  /** As stored, its payload still JSON text: the peer client puts it on the wire without parsing it. */
  event: StoredEvent;
  enqueuedMs: number;
  attempts: number;
  bytes: number;
}

/** One event's rows for enqueueAll: its id, the peers it goes to, whether it was refreshed. */
export interface OutboxEntry {
  id: string;
  /** The event's row number when the caller has it (InsertOutcome.seq of a new event); else looked up. */
  seq: number | undefined;
  peers: readonly string[];
  refreshed: boolean;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class DeliveryStore {
  private readonly stmt: (sql: string) => Statement;
  /** The outbox's own bookkeeping (marks, retries, peer state): committed without an fsync of its own. */
  private readonly bookkeeping: <T>(write: () => T) => T;

  private readonly transact: Transact;

  constructor(db: Database) {
    this.stmt = statementCache(db);
    this.transact = transactionRunner(db);
    this.bookkeeping = relaxedCommitter(db);
  }

  /** Call inside the event insert transaction: a new row per peer, or back to pending for a TTL refresh. */
  enqueue(
    eventId: string,
    peers: readonly string[],
    now: number,
    refreshed: boolean,
    knownSeq?: number,
  ): void {
    this.enqueueAll([{ id: eventId, seq: knownSeq, peers, refreshed }], now);
  }

  /**
   * enqueue for a whole transaction's events. New events' rows go in one statement per peer (the ids as
   * one JSON array), not one per row: a statement per row cost ~4.5 µs per event (of the sender's ~55
   * per event delivered), one per peer and batch ~2.5 (issue 18). A refresh takes the row back to pending, one by one:
   * it is rare, and its status change must be counted.
   */
  enqueueAll(entries: readonly OutboxEntry[], now: number): void {
    const fresh = new Map<string, (string | number)[][]>();
    for (const e of entries) {
      if (e.peers.length === 0) continue;
      const seq =
        e.seq ?? (this.stmt('SELECT seq FROM events WHERE id = ?').get(e.id) as { seq: number }).seq;
      if (e.refreshed) {
        this.requeue(e, seq, now);
        continue;
      }
      for (const peer of e.peers) {
        const rows = fresh.get(peer);
        if (rows) rows.push([seq, e.id]);
        else fresh.set(peer, [[seq, e.id]]);
      }
    }
    if (fresh.size === 0) return;
    // A new event has no row yet; DO NOTHING keeps a leftover row as it was rather than failing the
    // event's transaction. `WHERE true`: SQLite's grammar needs it between a SELECT and ON CONFLICT.
    const insert = this.stmt(`
      INSERT INTO deliveries (event_seq, event_id, peer, status, attempts, next_attempt_ms, enqueued_ms, updated_ms, created_ms)
      SELECT value ->> 0, value ->> 1, ?, 'pending', 0, ?, ?, ?, ? FROM json_each(?) WHERE true
      ON CONFLICT (event_id, peer) DO NOTHING`);
    for (const [peer, rows] of fresh) insert.run(peer, now, now, now, now, JSON.stringify(rows));
  }

  /** A refreshed event's rows back to pending (a delivered, failed or expired one is a status change). */
  private requeue(e: OutboxEntry, seq: number, now: number): void {
    const upsert = this.stmt(`
      INSERT INTO deliveries (event_seq, event_id, peer, status, attempts, next_attempt_ms, enqueued_ms, updated_ms, created_ms)
      VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?)
      ON CONFLICT (event_id, peer) DO UPDATE SET
        status = 'pending', attempts = 0, next_attempt_ms = excluded.next_attempt_ms,
        enqueued_ms = excluded.enqueued_ms, updated_ms = excluded.updated_ms, last_error = NULL`);
    const prior = this.stmt('SELECT status FROM deliveries WHERE event_id = ? AND peer = ?').pluck();
    for (const peer of e.peers) {
      const was = prior.get(e.id, peer) as DeliveryStatus | undefined;
      upsert.run(seq, e.id, peer, now, now, now, now);
      if (was !== undefined && was !== 'pending') this.moved(peer, was, 'pending', 1);
    }
  }

  /**
   * `n` rows of a peer went from one status to another: delivery_counts follows (migration 59: no row
   * trigger). Called in the same transaction as the statement that moved them.
   */
  private moved(peer: string, from: DeliveryStatus, to: DeliveryStatus, n: number): void {
    if (n === 0 || from === to) return;
    const add = this.stmt(
      'INSERT INTO delivery_counts (peer, status, n) VALUES (?, ?, ?) ON CONFLICT (peer, status) DO UPDATE SET n = n + excluded.n',
    );
    add.run(peer, from, -n);
    add.run(peer, to, n);
  }

  /**
   * Pending rows of live events whose time has come, within count and byte budgets: by next attempt, then
   * event order — the order of the (peer, status, next_attempt_ms, event_seq) index, so a large backlog is
   * read a batch at a time, never sorted whole. Delivery order is not a promise of the protocol anyway.
   */
  due(
    peer: string,
    now: number,
    maxCount: number,
    maxBytes: number,
    skip: DueSkip,
    /** Rows whose next attempt is at or before this; a probe of a backing-off peer takes any pending row. */
    dueBy = now,
  ): DueBatch {
    // Rows already on the wire are left out in SQL, so exactly one batch is read (not one per request in
    // flight): cheaply by position (a keyset on the index), or exactly by id. The event is found by its row
    // number (a delivery row and its event are only ever removed together, retention.ts), and rows come
    // back as arrays: both cost a fraction of a look-up by id and an object per row from SQLite. The limit
    // is written into the SQL, one cached statement per limit (500, its halvings, 1): bound as a parameter
    // it cost ~17 µs on every run, rows or none (SQLite 3.51 plans a statement again when the LIMIT
    // parameter is bound: the cost grew with the statement's size, not its rows), 4× the read of an empty
    // outbox, paid by every pump of every request (issue 18).
    const limit = Math.min(Number.MAX_SAFE_INTEGER, Math.max(1, Math.floor(maxCount) || 1));
    const rows = this.stmt(`
        SELECT e.id, e.group_name, e.source_node, e.type, e.subject, e.dedupe_key, e.payload, e.observed_at,
          e.expires_at, d.enqueued_ms, d.attempts, d.next_attempt_ms, d.event_seq, e.traceparent, e.tracestate
        FROM deliveries d JOIN events e ON e.seq = d.event_seq
        WHERE d.peer = ? AND d.status = 'pending' AND d.next_attempt_ms <= ?
          AND (d.next_attempt_ms, d.event_seq) > (?, ?)
          AND (e.expires_at_ms IS NULL OR e.expires_at_ms > ?)
          AND d.event_id NOT IN (SELECT value FROM json_each(?))
        ORDER BY d.next_attempt_ms, d.event_seq LIMIT ${limit}`)
      .raw()
      .all(
        peer,
        dueBy,
        skip.after?.nextAttemptMs ?? Number.MIN_SAFE_INTEGER,
        skip.after?.seq ?? 0,
        now,
        skip.ids && skip.ids.size > 0 ? JSON.stringify([...skip.ids]) : '[]',
      ) as DueRow[];
    const out: DueDelivery[] = [];
    let bytes = 0;
    let first: DuePosition | undefined;
    let last: DuePosition | undefined;
    for (const r of rows) {
      const row: Omit<EventRow, 'expires_at_ms'> = {
        id: r[0],
        group_name: r[1],
        source_node: r[2],
        type: r[3],
        subject: r[4],
        dedupe_key: r[5],
        payload: r[6],
        observed_at: r[7],
        expires_at: r[8],
        traceparent: r[13],
        tracestate: r[14],
      };
      // The stored payload is already JSON text: measure it instead of serialising the event a second time
      // (the peer client serialises it once, for the wire). 256 bytes cover the CloudEvents attributes,
      // 80 more the trace context's names and its traceparent.
      const size =
        Buffer.byteLength(row.payload) +
        row.id.length +
        row.type.length +
        (row.subject?.length ?? 0) +
        (row.dedupe_key?.length ?? 0) +
        (row.traceparent === null ? 0 : 80 + (row.tracestate?.length ?? 0)) +
        256;
      if (out.length > 0 && bytes + size > maxBytes) return { deliveries: out, full: true, first, last };
      out.push({ event: toStoredEvent(row), enqueuedMs: r[9], attempts: r[10], bytes: size });
      bytes += size;
      last = { nextAttemptMs: r[11], seq: r[12] };
      first ??= last;
    }
    return { deliveries: out, full: out.length >= limit, first, last };
  }

  /**
   * Pending rows whose event expired: they stop here, status `expired`. Returns how many. Found from the
   * expired events (their index, then each one's row), not from the peer's whole backlog, which a walk of
   * its pending rows would read once a second. `after`: only events that expired after that time — a
   * peer's once-a-second pass reads what expired since its last one, not every expired event retention
   * has not removed yet (kept 5 min past expiry: at 100 expiries a second, 30,000 of them, ~26 ms of
   * CPU a pass).
   */
  expire(peer: string, now: number, after = Number.MIN_SAFE_INTEGER): number {
    return this.bookkeeping(() => {
      const { changes } = this.stmt(`
        UPDATE deliveries SET status = 'expired', updated_ms = ?
        WHERE event_id IN (SELECT id FROM events
            WHERE expires_at_ms IS NOT NULL AND expires_at_ms > ? AND expires_at_ms <= ?)
          AND +peer = ? AND +status = 'pending'`).run(now, after, now, peer);
      this.moved(peer, 'pending', 'expired', changes);
      return changes;
    });
  }

  /** When the next pending row of this peer becomes due, or undefined when none is pending. */
  nextDueMs(peer: string): number | undefined {
    const r = this.stmt(
      `SELECT MIN(next_attempt_ms) AS t FROM deliveries WHERE peer = ? AND status = 'pending'`,
    ).get(peer) as { t: number | null };
    return r.t ?? undefined;
  }

  /*
   * The marks below change a batch's rows in one statement: the ids go in as one JSON array, and the
   * unary + keeps SQLite on the primary key (event_id, peer) — on (peer, status) it would walk every
   * pending row of the peer for each batch, a whole backlog per request while one drains.
   */

  markDelivered(peer: string, ids: readonly string[], now: number, status: number): void {
    if (ids.length === 0) return;
    const minute = Math.floor(now / 60_000);
    this.bookkeeping(() => {
      // RETURNING hands back the enqueue times of exactly the rows this marked, so the batch's worst lag
      // needs no second look-up of each row by its key.
      const enqueued = this.stmt(`
      UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_ms = ?, updated_ms = ?,
        last_status = ?, last_error = NULL
      WHERE event_id IN (SELECT value FROM json_each(?)) AND +peer = ? AND +status = 'pending'
      RETURNING enqueued_ms`)
        .pluck()
        .all(now, now, status, JSON.stringify(ids), peer) as number[];
      if (enqueued.length === 0) return;
      this.moved(peer, 'pending', 'delivered', enqueued.length);
      let oldest = enqueued[0]!;
      for (const ms of enqueued) if (ms < oldest) oldest = ms;
      // The batch's worst lag into this minute's slot (the summary's "max lag").
      this.stmt(`
      INSERT INTO delivery_lag (peer, minute, max_lag_ms) VALUES (?, ?, ?)
        ON CONFLICT (peer, minute) DO UPDATE SET max_lag_ms = MAX(max_lag_ms, excluded.max_lag_ms)`).run(
        peer,
        minute,
        now - oldest,
      );
      this.stmt('DELETE FROM delivery_lag WHERE peer = ? AND minute < ?').run(
        peer,
        minute - LAG_MINUTES_KEPT,
      );
    });
  }

  markRetry(
    peer: string,
    ids: readonly string[],
    now: number,
    nextMs: number,
    error: string,
    status?: number,
  ): void {
    if (ids.length === 0) return;
    this.bookkeeping(() =>
      this.stmt(`
      UPDATE deliveries SET attempts = attempts + 1, next_attempt_ms = ?, updated_ms = ?, last_status = ?, last_error = ?
      WHERE event_id IN (SELECT value FROM json_each(?)) AND +peer = ? AND +status = 'pending'`).run(
        nextMs,
        now,
        status ?? null,
        error,
        JSON.stringify(ids),
        peer,
      ),
    );
  }

  markFailed(peer: string, ids: readonly string[], now: number, error: string, status?: number): void {
    if (ids.length === 0) return;
    this.bookkeeping(() => {
      const { changes } = this.stmt(`
      UPDATE deliveries SET status = 'failed', attempts = attempts + 1, updated_ms = ?, last_status = ?, last_error = ?
      WHERE event_id IN (SELECT value FROM json_each(?)) AND +peer = ? AND +status = 'pending'`).run(
        now,
        status ?? null,
        error,
        JSON.stringify(ids),
        peer,
      );
      this.moved(peer, 'pending', 'failed', changes);
    });
  }

  /** Put deliveries back to pending now (`routerctl federation redeliver`). Returns how many rows. */
  redeliver(eventId: string, now: number, peer?: string): number {
    return this.transact(() => {
      const rows = this.stmt(
        'SELECT peer, status FROM deliveries WHERE event_id = ? AND (? IS NULL OR peer = ?)',
      ).all(eventId, peer ?? null, peer ?? null) as { peer: string; status: DeliveryStatus }[];
      const { changes } = this.stmt(`
        UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_ms = ?, updated_ms = ?, last_error = NULL
        WHERE event_id = ? AND (? IS NULL OR peer = ?)`).run(now, now, eventId, peer ?? null, peer ?? null);
      for (const row of rows) this.moved(row.peer, row.status, 'pending', 1);
      return changes;
    });
  }

  /**
   * Every failed delivery matching back to pending now (`routerctl federation redeliver --status failed`):
   * optionally only to one peer, and only those that failed at or after `sinceMs`. Returns how many rows.
   */
  redeliverFailed(filter: { peer?: string; sinceMs?: number }, now: number): number {
    const params = { now, peer: filter.peer ?? null, since: filter.sinceMs ?? null };
    const where = `status = 'failed' AND (@peer IS NULL OR peer = @peer) AND (@since IS NULL OR updated_ms >= @since)`;
    return this.transact(() => {
      const perPeer = this.stmt(
        `SELECT peer, COUNT(*) AS n FROM deliveries WHERE ${where} GROUP BY peer`,
      ).all(params) as { peer: string; n: number }[];
      const { changes } = this.stmt(`
        UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_ms = @now, updated_ms = @now,
          last_error = NULL
        WHERE ${where}`).run(params);
      for (const { peer, n } of perPeer) this.moved(peer, 'failed', 'pending', n);
      return changes;
    });
  }

  /**
   * A peer's pending rows due later than `at` are made due at `at`: with `at` = now, the backoff is cleared
   * (the peer answered again, or an operator asked); with a later `at`, no retry waits past it (a wall
   * clock that stepped back). Returns how many rows moved.
   */
  dueBy(peer: string, at: number): number {
    return this.bookkeeping(
      () =>
        this.stmt(
          `UPDATE deliveries SET next_attempt_ms = ? WHERE peer = ? AND status = 'pending' AND next_attempt_ms > ?`,
        ).run(at, peer, at).changes,
    );
  }

  list(filter: DeliveriesQuery): Delivery[] {
    const rows = this.stmt(`
        SELECT * FROM deliveries
        WHERE (@peer IS NULL OR peer = @peer) AND (@status IS NULL OR status = @status)
          AND (@eventId IS NULL OR event_id = @eventId)
        ORDER BY event_seq DESC, peer LIMIT @limit`).all({
      peer: filter.peer ?? null,
      status: filter.status ?? null,
      eventId: filter.eventId ?? null,
      limit: filter.limit ?? 100,
    }) as {
      event_id: string;
      peer: string;
      status: DeliveryStatus;
      attempts: number;
      next_attempt_ms: number;
      enqueued_ms: number;
      delivered_ms: number | null;
      last_status: number | null;
      last_error: string | null;
    }[];
    return rows.map((r) => ({
      eventId: r.event_id,
      peer: r.peer,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_ms) : null,
      enqueuedAt: iso(r.enqueued_ms)!,
      deliveredAt: iso(r.delivered_ms),
      lastStatus: r.last_status,
      lastError: r.last_error,
    }));
  }

  /**
   * Per peer: rows by status, the oldest pending row's age and the worst lag of the last 15 minutes —
   * from the counters, the pending-age index and the per-minute lag (migration 55), never a walk of the
   * ledger: O(peers), whatever a week of deliveries holds.
   */
  summary(peers: readonly string[], now: number): PeerSummary[] {
    const counts = this.stmt('SELECT status, n FROM delivery_counts WHERE peer = ?');
    const oldest = this.stmt(
      `SELECT MIN(enqueued_ms) FROM deliveries INDEXED BY deliveries_pending_age WHERE peer = ? AND status = 'pending'`,
    ).pluck();
    // A minute slot counts while any of it is within the window (as the rows it was taken from were).
    const lag = this.stmt('SELECT MAX(max_lag_ms) FROM delivery_lag WHERE peer = ? AND minute >= ?').pluck();
    const fromMinute = Math.floor((now - RECENT_LAG_WINDOW_MS) / 60_000);
    return peers.map((peer) => {
      const n = Object.fromEntries(
        (counts.all(peer) as { status: string; n: number }[]).map((r) => [r.status, r.n]),
      ) as Partial<Record<'delivered' | 'pending' | 'failed' | 'expired', number>>;
      const oldestPending = oldest.get(peer) as number | null;
      const maxLag = lag.get(peer, fromMinute) as number | null;
      return {
        peer,
        delivered: n.delivered ?? 0,
        pending: n.pending ?? 0,
        failed: n.failed ?? 0,
        expired: n.expired ?? 0,
        oldestPendingAgeSeconds: oldestPending == null ? null : (now - oldestPending) / 1000,
        maxLagSeconds: maxLag == null ? null : maxLag / 1000,
      };
    });
  }

  pendingCount(peer: string): number {
    return (
      (this.stmt(`SELECT n FROM delivery_counts WHERE peer = ? AND status = 'pending'`).pluck().get(peer) as
        | number
        | undefined) ?? 0
    );
  }

  // --- peer state -----------------------------------------------------------------------------

  recordAttempt(
    peer: string,
    now: number,
    ok: boolean,
    state: PeerStateName,
    consecutiveFailures: number,
    error?: string,
  ): void {
    this.bookkeeping(() =>
      this.stmt(`
        INSERT INTO peer_state (peer, state, consecutive_failures, last_attempt_ms, last_success_ms, last_error, last_error_ms)
        VALUES (@peer, @state, @failures, @now, CASE WHEN @ok THEN @now END, @error, CASE WHEN @ok THEN NULL ELSE @now END)
        ON CONFLICT (peer) DO UPDATE SET state = @state, consecutive_failures = @failures, last_attempt_ms = @now,
          last_success_ms = CASE WHEN @ok THEN @now ELSE last_success_ms END,
          -- A success clears the error: an old one shown beside a working peer only misleads.
          last_error = CASE WHEN @ok THEN NULL ELSE @error END,
          last_error_ms = CASE WHEN @ok THEN NULL ELSE @now END`).run({
        peer,
        state,
        failures: consecutiveFailures,
        now,
        ok: ok ? 1 : 0,
        error: error ?? null,
      }),
    );
  }

  /** The state a peer's worker last recorded (restored at start and reload), or undefined. */
  peerState(peer: string): PeerRecord | undefined {
    return this.peerStates().find((p) => p.peer === peer);
  }

  peerStates(): PeerRecord[] {
    return (
      this.stmt('SELECT * FROM peer_state ORDER BY peer').all() as {
        peer: string;
        state: PeerStateName;
        consecutive_failures: number;
        last_attempt_ms: number | null;
        last_success_ms: number | null;
        last_error: string | null;
        last_error_ms: number | null;
      }[]
    ).map((r) => ({
      peer: r.peer,
      state: r.state,
      consecutiveFailures: r.consecutive_failures,
      lastAttemptAt: iso(r.last_attempt_ms),
      lastSuccessAt: iso(r.last_success_ms),
      lastError: r.last_error,
      lastErrorAt: iso(r.last_error_ms),
    }));
  }

  // --- receiver replay window -----------------------------------------------------------------

  webhookSeen(sender: string, webhookId: string): boolean {
    return (
      this.stmt('SELECT 1 FROM received_webhooks WHERE sender = ? AND webhook_id = ?').get(
        sender,
        webhookId,
      ) !== undefined
    );
  }

  recordWebhook(sender: string, webhookId: string, now: number): void {
    this.stmt(
      'INSERT OR IGNORE INTO received_webhooks (sender, webhook_id, received_ms) VALUES (?, ?, ?)',
    ).run(sender, webhookId, now);
  }
}
