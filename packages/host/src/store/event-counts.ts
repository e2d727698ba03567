/**
 * How many events are stored, per (group, source node, type): the `event_counts` table, read in
 * O(distinct keys) instead of a COUNT(*) over the table. It answers `GET /v1/status`, retention's
 * "beyond maxEvents", and which index a list with several filters walks. Exact at every commit: inserts
 * are counted by EventStore.insert in their own transaction, once per key and batch (`added`; a row
 * trigger cost a third of an insert), deletes and rewrites by triggers on `events`. A tool that writes
 * rows into `events` itself (a benchmark's bulk fill) calls `recount` after.
 */
import type { EventFilter } from '@routerd/host-wire';
import type { Event } from '@routerd/plugin-sdk';
import type { Database, Statement } from 'better-sqlite3';

/** The index a list walks for each filter: (column, seq), so the newest matches come first. */
export const FILTER_INDEXES = {
  type: 'events_type_seq',
  sourceNode: 'events_source_seq',
  group: 'events_group_seq',
} as const;
export type FilterField = keyof typeof FILTER_INDEXES;

/** Every key's count, from the rows themselves. */
const COUNT_EVENTS = `INSERT INTO event_counts (group_name, source_node, type, stored)
    SELECT group_name, source_node, type, COUNT(*) FROM events GROUP BY group_name, source_node, type;`;

/** The events family's schema for filters and counts (migration 51, in events.ts). */
export const EVENT_COUNTS_SCHEMA = `
  CREATE INDEX events_source_seq ON events (source_node, seq);
  CREATE INDEX events_group_seq ON events (group_name, seq);
  CREATE INDEX events_group_stored ON events (group_name, stored_at_ms);
  CREATE TABLE event_counts (
    group_name TEXT NOT NULL,
    source_node TEXT NOT NULL,
    type TEXT NOT NULL,
    stored INTEGER NOT NULL,
    PRIMARY KEY (group_name, source_node, type)
  ) WITHOUT ROWID;
  ${COUNT_EVENTS}
  -- Dropped by migration 58: inserts are counted per batch by the store (EventCounts.added).
  CREATE TRIGGER events_count_insert AFTER INSERT ON events BEGIN
    INSERT INTO event_counts (group_name, source_node, type, stored)
      VALUES (NEW.group_name, NEW.source_node, NEW.type, 1)
      ON CONFLICT (group_name, source_node, type) DO UPDATE SET stored = stored + 1;
  END;
  CREATE TRIGGER events_count_delete AFTER DELETE ON events BEGIN
    UPDATE event_counts SET stored = stored - 1
      WHERE group_name = OLD.group_name AND source_node = OLD.source_node AND type = OLD.type;
    DELETE FROM event_counts
      WHERE group_name = OLD.group_name AND source_node = OLD.source_node AND type = OLD.type AND stored = 0;
  END;
  -- Never done (an event is never rewritten but for its expiry): kept exact all the same.
  CREATE TRIGGER events_count_update AFTER UPDATE OF group_name, source_node, type ON events BEGIN
    UPDATE event_counts SET stored = stored - 1
      WHERE group_name = OLD.group_name AND source_node = OLD.source_node AND type = OLD.type;
    DELETE FROM event_counts
      WHERE group_name = OLD.group_name AND source_node = OLD.source_node AND type = OLD.type AND stored = 0;
    INSERT INTO event_counts (group_name, source_node, type, stored)
      VALUES (NEW.group_name, NEW.source_node, NEW.type, 1)
      ON CONFLICT (group_name, source_node, type) DO UPDATE SET stored = stored + 1;
  END;
`;

/** What a list's filters select, counted: none, or the filter whose index has the fewest rows to walk. */
export type FilterPlan = { matching: 0 } | { matching: number; index: (typeof FILTER_INDEXES)[FilterField] };

/** Every key's count from the rows themselves, for whoever wrote rows into `events` without the store. */
export function recountEvents(db: Database): void {
  db.transaction(() => {
    db.exec(`DELETE FROM event_counts; ${COUNT_EVENTS}`);
  })();
}

export class EventCounts {
  private readonly addStmt: Statement;
  private readonly totalStmt: Statement;
  private readonly groupStmt: Statement;
  private readonly filterStmt: Statement;

  constructor(db: Database) {
    this.addStmt =
      db.prepare(`INSERT INTO event_counts (group_name, source_node, type, stored) VALUES (?, ?, ?, ?)
      ON CONFLICT (group_name, source_node, type) DO UPDATE SET stored = stored + excluded.stored`);
    this.totalStmt = db.prepare('SELECT IFNULL(SUM(stored), 0) FROM event_counts').pluck();
    this.groupStmt = db
      .prepare('SELECT IFNULL(SUM(stored), 0) FROM event_counts WHERE group_name = ?')
      .pluck();
    this.filterStmt = db.prepare(`
      SELECT
        IFNULL(SUM(stored) FILTER (WHERE (@type IS NULL OR type = @type)
          AND (@sourceNode IS NULL OR source_node = @sourceNode) AND (@group IS NULL OR group_name = @group)), 0) AS matching,
        IFNULL(SUM(stored) FILTER (WHERE type = @type), 0) AS type,
        IFNULL(SUM(stored) FILTER (WHERE source_node = @sourceNode), 0) AS sourceNode,
        IFNULL(SUM(stored) FILTER (WHERE group_name = @group), 0) AS "group"
      FROM event_counts`);
  }

  /** Count events just inserted, in the caller's transaction: one write per (group, source, type). */
  added(events: readonly Pick<Event, 'group' | 'sourceNode' | 'type'>[]): void {
    const byKey = new Map<string, { group: string; sourceNode: string; type: string; n: number }>();
    for (const e of events) {
      const key = `${e.group}\0${e.sourceNode}\0${e.type}`;
      const k = byKey.get(key);
      if (k) k.n++;
      else byKey.set(key, { group: e.group, sourceNode: e.sourceNode, type: e.type, n: 1 });
    }
    for (const k of byKey.values()) this.addStmt.run(k.group, k.sourceNode, k.type, k.n);
  }

  /** Every stored event, expired or not. */
  total(): number {
    return this.totalStmt.get() as number;
  }

  /** The events stored in one group, expired or not. */
  inGroup(group: string): number {
    return this.groupStmt.get(group) as number;
  }

  /**
   * For a list with several filters: how many stored events match them all (0: nothing to walk), and the
   * filter whose index holds the fewest rows — the shortest walk to the newest matches. SQLite's planner
   * knows no value's frequency and would walk whichever index it guesses.
   */
  plan(filter: Pick<EventFilter, FilterField>): FilterPlan {
    const c = this.filterStmt.get({
      type: filter.type ?? null,
      sourceNode: filter.sourceNode ?? null,
      group: filter.group ?? null,
    }) as { matching: number } & Record<FilterField, number>;
    if (c.matching === 0) return { matching: 0 };
    const given = (Object.keys(FILTER_INDEXES) as FilterField[]).filter((f) => filter[f] !== undefined);
    const narrowest = given.reduce((a, b) => (c[b] < c[a] ? b : a));
    return { matching: c.matching, index: FILTER_INDEXES[narrowest] };
  }
}
