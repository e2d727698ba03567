/**
 * The `events` table family: idempotent inserts keyed on the event id, TTL refresh, reads that hide
 * expired events. Knows SQL and the Event envelope, nothing about HTTP or config.
 */
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_LIST_LIMIT, type EventFilter } from '@routerd/host-wire';
import type { Event } from '@routerd/plugin-sdk';
import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { EVENT_COUNTS_SCHEMA, EventCounts, FILTER_INDEXES, type FilterField } from './event-counts.js';
import type { Migration } from './migrations.js';
import { statementCache } from './statement-cache.js';
import { type Transact, transactionRunner } from './transactions.js';

export const eventMigrations: Migration[] = [
  {
    version: 1,
    name: 'events',
    up: `
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        group_name TEXT NOT NULL,
        source_node TEXT NOT NULL,
        type TEXT NOT NULL,
        subject TEXT,
        dedupe_key TEXT,
        payload TEXT NOT NULL,
        observed_at TEXT NOT NULL,
        expires_at TEXT,
        expires_at_ms INTEGER,
        stored_at_ms INTEGER NOT NULL
      );
      CREATE INDEX events_type_seq ON events (type, seq);
      CREATE INDEX events_expires_at ON events (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
    `,
  },
  // An index for every filter of GET /v1/events and retention's bounds; counts kept by triggers.
  { version: 51, name: 'events-filter-indexes-and-counts', up: EVENT_COUNTS_SCHEMA },
  // Trace context (CloudEvents distributed tracing extension). `routerctl trace` finds the events a trace's
  // root caused by trace id: only those carry a tracestate (the cause's span), so only they are indexed.
  // Indexing every event cost the receiver ~30 µs per event (random keys: a page written per insert).
  {
    version: 54,
    name: 'events-trace-context',
    up: `
      ALTER TABLE events ADD COLUMN traceparent TEXT;
      ALTER TABLE events ADD COLUMN tracestate TEXT;
      CREATE INDEX events_trace ON events (substr(traceparent, 4, 32)) WHERE tracestate IS NOT NULL;
    `,
  },
  // Inserts are counted by the store, once per key and batch (EventCounts.added): a row trigger, even one
  // whose WHEN never holds, cost ~7 µs of a ~22 µs insert (issue 18). Deletes and rewrites keep theirs.
  { version: 58, name: 'events-counted-per-batch', up: 'DROP TRIGGER events_count_insert;' },
];

/**
 * stored: new; duplicate: that id was already there, nothing changed; refreshed: only expiresAt moved
 * later; conflict: the id is already taken by another fact (another source, type, subject or payload)
 * and nothing was written — an event id belongs to its source (docs/federation.md § Event ids).
 */
export type InsertStatus = 'stored' | 'duplicate' | 'refreshed' | 'conflict';
export interface InsertOutcome {
  status: InsertStatus;
  /** The event as it now stands in the store (for a duplicate: the one stored first; for a conflict: the one refused). */
  event: Event;
  /** Its row number, when the insert just created it (saves a look-up for same-transaction work). */
  seq?: number;
  /** For a conflict: the fields that differ from the stored event, and the node that owns the id. */
  conflict?: IdConflict;
}
export interface IdConflict {
  fields: IdentityField[];
  owner: string;
}
/** What makes two events with one id the same fact; only `expiresAt` may change (a refresh). */
const IDENTITY_FIELDS = ['group', 'sourceNode', 'type', 'subject', 'payload'] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

/** Thrown inside an all-or-nothing insert when an id is taken: the transaction rolls back. */
export class IdConflictError extends Error {
  override name = 'IdConflictError';
  constructor(readonly conflicts: { index: number; outcome: InsertOutcome }[]) {
    super(`${conflicts.length} event id(s) already belong to another event`);
  }
}

export interface EventStoreHooks {
  /** A throwing onCommitted listener; it must not undo a commit that already happened. */
  onListenerError?: (err: unknown) => void;
  /** An insert reused another event's id (counted and logged by the daemon); nothing was written. */
  onIdConflict?: (event: Event, conflict: IdConflict) => void;
}
export type CommittedListener = (committed: InsertOutcome[]) => void;

export interface EventRow {
  id: string;
  group_name: string;
  source_node: string;
  type: string;
  subject: string | null;
  dedupe_key: string | null;
  payload: string;
  observed_at: string;
  expires_at: string | null;
  expires_at_ms: number | null;
  traceparent: string | null;
  tracestate: string | null;
}

/** An event as stored, its payload the JSON text it was stored as (for those who only pass it on). */
export type StoredEvent = Omit<Event, 'payload'> & { payloadJson: string };

export function toStoredEvent(row: Omit<EventRow, 'expires_at_ms'>): StoredEvent {
  return withOptionalFields<StoredEvent>(row, {
    id: row.id,
    group: row.group_name,
    sourceNode: row.source_node,
    type: row.type,
    payloadJson: row.payload,
    observedAt: row.observed_at,
  });
}

export function toEvent(row: EventRow): Event {
  return withOptionalFields<Event>(row, {
    id: row.id,
    group: row.group_name,
    sourceNode: row.source_node,
    type: row.type,
    payload: JSON.parse(row.payload) as Event['payload'],
    observedAt: row.observed_at,
  });
}

function withOptionalFields<
  E extends Pick<Event, 'subject' | 'dedupeKey' | 'expiresAt' | 'traceparent' | 'tracestate'>,
>(row: Omit<EventRow, 'expires_at_ms'>, event: E): E {
  if (row.subject !== null) event.subject = row.subject;
  if (row.dedupe_key !== null) event.dedupeKey = row.dedupe_key;
  if (row.expires_at !== null) event.expiresAt = row.expires_at;
  // Rows written before migration 54, and reads that do not select them, have no trace columns.
  if (row.traceparent != null) event.traceparent = row.traceparent;
  if (row.tracestate != null) event.tracestate = row.tracestate;
  return event;
}

/** Stored or refreshed: what delivery rows and listeners react to. */
function isChange(o: InsertOutcome): boolean {
  return o.status === 'stored' || o.status === 'refreshed';
}

export interface EventLookup {
  event: Event;
  expired: boolean;
}

export class EventStore {
  private readonly listeners = new Set<CommittedListener>();
  private readonly transactionHooks = new Set<(changed: InsertOutcome[], now: number) => void>();
  private readonly insertStmt: Statement;
  private readonly refreshStmt: Statement;
  private readonly byIdStmt: Statement;
  private readonly counts: EventCounts;
  private readonly listStmt: (sql: string) => Statement;
  private readonly transact: Transact;

  private readonly onListenerError: (err: unknown) => void;
  private readonly onIdConflict: (event: Event, conflict: IdConflict) => void;

  constructor(
    db: Database,
    private readonly clock: Clock,
    hooks: EventStoreHooks = {},
  ) {
    this.onListenerError = hooks.onListenerError ?? (() => {});
    this.onIdConflict = hooks.onIdConflict ?? (() => {});
    this.insertStmt = db.prepare(`
      INSERT INTO events (id, group_name, source_node, type, subject, dedupe_key, payload, observed_at,
                          expires_at, expires_at_ms, stored_at_ms, traceparent, tracestate)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO NOTHING`);
    // Only a later expiry of a still-live event: an expired event is never brought back (it may already
    // have been skipped by delivery and matching), and no other field is ever rewritten.
    this.refreshStmt = db.prepare(`
      UPDATE events SET expires_at = @expiresAt, expires_at_ms = @expiresAtMs
      WHERE id = @id AND expires_at_ms IS NOT NULL AND expires_at_ms < @expiresAtMs AND expires_at_ms > @now`);
    this.byIdStmt = db.prepare('SELECT * FROM events WHERE id = ?');
    this.counts = new EventCounts(db);
    this.listStmt = statementCache(db);
    this.transact = transactionRunner(db);
  }

  /**
   * Insert events in one transaction. Events must already be valid (the emit pipeline checks them).
   * An id already held by another fact is a `conflict` and writes nothing — the one place where "an
   * event id belongs to its source" is enforced, for received, emitted and published events alike.
   * With `allOrNothing`, a conflict throws IdConflictError and nothing of the batch is written.
   * `alongside` is the caller's own write that must commit with the events (a received batch's
   * webhook-id): inside this transaction rather than around it, so listeners, which run after the
   * commit, never hear of events a caller's transaction may still roll back.
   */
  insert(
    events: readonly Event[],
    options: { allOrNothing?: boolean; alongside?: (outcomes: readonly InsertOutcome[]) => void } = {},
  ): InsertOutcome[] {
    const now = this.clock.now();
    const outcomes = this.transact(() => {
      const done = events.map((e) => this.insertOne(e, now));
      if (options.allOrNothing) {
        const conflicts = done.flatMap((outcome, index) =>
          outcome.status === 'conflict' ? [{ index, outcome }] : [],
        );
        if (conflicts.length > 0) throw new IdConflictError(conflicts);
      }
      this.counts.added(done.flatMap((o) => (o.status === 'stored' ? [o.event] : [])));
      const changed = done.filter(isChange);
      // Same-transaction work (the outbox's delivery rows): an event is never stored without it.
      if (changed.length > 0) for (const hook of this.transactionHooks) hook(changed, now);
      options.alongside?.(done);
      return done;
    });
    const committed = outcomes.filter(isChange);
    if (committed.length > 0) {
      for (const listener of this.listeners) {
        try {
          listener(committed);
        } catch (err) {
          this.onListenerError(err);
        }
      }
    }
    return outcomes;
  }

  private insertOne(event: Event, now: number): InsertOutcome {
    const expiresAtMs = event.expiresAt === undefined ? null : Date.parse(event.expiresAt);
    // Positional parameters: binding by name costs a property look-up per column on every insert.
    const inserted = this.insertStmt.run(
      event.id,
      event.group,
      event.sourceNode,
      event.type,
      event.subject ?? null,
      event.dedupeKey ?? null,
      JSON.stringify(event.payload),
      event.observedAt,
      event.expiresAt ?? null,
      expiresAtMs,
      now,
      event.traceparent ?? null,
      event.tracestate ?? null,
    );
    if (inserted.changes === 1) return { status: 'stored', event, seq: Number(inserted.lastInsertRowid) };
    const stored = toEvent(this.byIdStmt.get(event.id) as EventRow);
    const fields = IDENTITY_FIELDS.filter((f) => !isDeepStrictEqual(stored[f], event[f]));
    if (fields.length > 0) {
      const conflict = { fields, owner: stored.sourceNode };
      this.onIdConflict(event, conflict);
      return { status: 'conflict', event, conflict };
    }
    if (expiresAtMs !== null) {
      const refreshed = this.refreshStmt.run({ id: event.id, expiresAt: event.expiresAt, expiresAtMs, now });
      if (refreshed.changes === 1)
        return { status: 'refreshed', event: { ...stored, expiresAt: event.expiresAt } };
    }
    return { status: 'duplicate', event: stored };
  }

  /** An event by id, whether or not it has expired (the caller decides what to show). */
  lookup(id: string): EventLookup | undefined {
    const row = this.byIdStmt.get(id) as EventRow | undefined;
    if (!row) return undefined;
    return {
      event: toEvent(row),
      expired: row.expires_at_ms !== null && row.expires_at_ms <= this.clock.now(),
    };
  }

  /**
   * Live events (and expired ones only when asked), newest first. A filter walks its own index (FILTER_INDEXES)
   * from the newest row; with several, the one holding the fewest rows (EventCounts.plan), and none at all
   * when no stored event matches them all.
   */
  list(filter: EventFilter = {}): Event[] {
    const filters = (Object.keys(FILTER_INDEXES) as FilterField[]).filter((f) => filter[f] !== undefined);
    let index = '';
    if (filters.length === 1) index = `INDEXED BY ${FILTER_INDEXES[filters[0]!]}`;
    if (filters.length > 1) {
      const plan = this.counts.plan(filter);
      if (!('index' in plan)) return [];
      index = `INDEXED BY ${plan.index}`;
    }
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: filter.limit ?? DEFAULT_LIST_LIMIT };
    if (!filter.includeExpired) {
      where.push('(expires_at_ms IS NULL OR expires_at_ms > @now)');
      params.now = this.clock.now();
    }
    if (filter.type !== undefined) {
      where.push('type = @type');
      params.type = filter.type;
    }
    if (filter.sourceNode !== undefined) {
      where.push('source_node = @sourceNode');
      params.sourceNode = filter.sourceNode;
    }
    if (filter.group !== undefined) {
      where.push('group_name = @group');
      params.group = filter.group;
    }
    const sql = `SELECT * FROM events ${index} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
    return (this.listStmt(sql).all(params) as EventRow[]).map(toEvent);
  }

  /** Every stored row, expired or not (for status and tests): a counter, not a scan. */
  count(): number {
    return this.counts.total();
  }

  /**
   * Run inside the insert transaction for stored and refreshed events; a throw rolls the whole insert
   * back. For writes that must commit together with the events (delivery rows).
   */
  withinInsert(hook: (changed: InsertOutcome[], now: number) => void): () => void {
    this.transactionHooks.add(hook);
    return () => this.transactionHooks.delete(hook);
  }

  /** Subscribe to committed inserts and refreshes; returns the unsubscribe function. */
  onCommitted(listener: CommittedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
