// GET /v1/events stays flat as the store grows: every filter of EventFilter walks an index from the newest
// row (checked on the statement the store really prepares, with EXPLAIN QUERY PLAN on a real SQLite file),
// several filters walk the narrowest, and the counts behind them and behind GET /v1/status are exact
// after every kind of write. Results are checked against a brute-force reading of every row.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventFilter } from '@routerd/host-wire';
import type { Event } from '@routerd/plugin-sdk';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { allMigrations, openDatabase } from '../../src/store/database.js';
import { FILTER_INDEXES, recountEvents } from '../../src/store/event-counts.js';
import { type EventRow, EventStore, toEvent } from '../../src/store/events.js';
import { runMigrations } from '../../src/store/migrations.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const file = () => join(mkdtempSync(join(tmpdir(), 'routerd-filters-')), 'routerd.db');

function event(n: number, over: Partial<Event> = {}): Event {
  return {
    id: `e-${n}`,
    group: 'lab',
    sourceNode: 'onprem-1',
    type: 'acme.thing.seen',
    payload: { n },
    observedAt: iso(T0),
    expiresAt: iso(T0 + 3_600_000),
    ...over,
  };
}

/** The statements `run` prepares on `db`, as SQL text. */
function preparedBy(db: Database, run: () => void): string[] {
  const prepare = vi.spyOn(db, 'prepare');
  try {
    run();
    return prepare.mock.calls.map(([sql]) => sql);
  } finally {
    prepare.mockRestore();
  }
}

const planOf = (db: Database, sql: string, params: object) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ now: T0, limit: 100, ...params }) as { detail: string }[])
    .map((r) => r.detail)
    .join(' | ');

/** 2,000 events: one rare source and one rare group at the old end, 1 % from branch-7, 10 % of a second type. */
function filled() {
  const db = openDatabase(file());
  const clock = new ManualClock(T0);
  const store = new EventStore(db, clock);
  store.insert(
    Array.from({ length: 2000 }, (_, n) =>
      event(n, {
        group: n < 20 ? 'edge' : 'lab',
        sourceNode: n < 20 ? 'branch-9' : n % 100 === 7 ? 'branch-7' : 'onprem-1',
        type: n % 10 === 3 ? 'acme.thing.gone' : 'acme.thing.seen',
        // Some expired by the time the lists run.
        ...(n % 7 === 0 ? { expiresAt: iso(T0 + 1000) } : {}),
      }),
    ),
  );
  clock.set(T0 + 60_000);
  return { db, clock, store };
}

describe('GET /v1/events filters', () => {
  it('has an index for every filter EventFilter documents', () => {
    const documented = EventFilter.props
      .map((p) => p.key)
      .filter((k) => k !== 'includeExpired' && k !== 'limit');
    expect(Object.keys(FILTER_INDEXES).sort()).toEqual([...documented].sort());
  });

  it.each([
    [{ type: 'acme.thing.gone' }, 'events_type_seq'],
    [{ sourceNode: 'branch-9' }, 'events_source_seq'],
    [{ group: 'edge' }, 'events_group_seq'],
    // Several: the one with the fewest rows, whichever order they come in.
    [{ group: 'lab', sourceNode: 'branch-7' }, 'events_source_seq'],
    [{ type: 'acme.thing.seen', group: 'edge' }, 'events_group_seq'],
    [{ type: 'acme.thing.gone', sourceNode: 'onprem-1', group: 'lab' }, 'events_type_seq'],
  ] as const)('%j walks %s from the newest row, never the whole table', (filter, index) => {
    const { db, store } = filled();
    const [sql] = preparedBy(db, () => store.list(filter)).filter((s) => s.includes('FROM events'));
    const plan = planOf(db, sql!, filter);
    expect(plan).toContain(`SEARCH events USING INDEX ${index}`);
    expect(plan).not.toMatch(/SCAN events|TEMP B-TREE/);
  });

  it('answers a combination no stored event has without reading the events', () => {
    const { db, store } = filled();
    let listed: Event[] = [];
    const prepared = preparedBy(db, () => {
      listed = store.list({ group: 'lab', sourceNode: 'branch-9' });
    });
    expect(listed).toEqual([]);
    expect(prepared.filter((s) => s.includes('FROM events'))).toEqual([]);
  });

  it('lists exactly what a reading of every row finds, for every combination of filters', () => {
    const { db, clock, store } = filled();
    const all = (db.prepare('SELECT * FROM events ORDER BY seq DESC').all() as EventRow[]).map((r) => ({
      event: toEvent(r),
      expired: r.expires_at_ms !== null && r.expires_at_ms <= clock.now(),
    }));
    const values = {
      type: [undefined, 'acme.thing.seen', 'acme.thing.gone', 'acme.absent'],
      sourceNode: [undefined, 'onprem-1', 'branch-7', 'branch-9', 'nobody'],
      group: [undefined, 'lab', 'edge', 'other'],
    };
    for (const type of values.type)
      for (const sourceNode of values.sourceNode)
        for (const group of values.group)
          for (const includeExpired of [false, true]) {
            const filter = { type, sourceNode, group, includeExpired, limit: 37 };
            const expected = all
              .filter(
                ({ event: e, expired }) =>
                  (type === undefined || e.type === type) &&
                  (sourceNode === undefined || e.sourceNode === sourceNode) &&
                  (group === undefined || e.group === group) &&
                  (includeExpired || !expired),
              )
              .slice(0, 37)
              .map(({ event: e }) => e.id);
            const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
            expect(
              store.list(defined).map((e) => e.id),
              JSON.stringify(defined),
            ).toEqual(expected);
          }
  });
});

describe('the event counts (GET /v1/status, retention, the filters)', () => {
  const byKey = (db: Database, table: 'events' | 'event_counts') =>
    db
      .prepare(
        table === 'events'
          ? 'SELECT group_name, source_node, type, COUNT(*) AS n FROM events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3'
          : 'SELECT group_name, source_node, type, stored AS n FROM event_counts ORDER BY 1, 2, 3',
      )
      .all();
  const exact = (db: Database, store: EventStore) => {
    expect(byKey(db, 'event_counts')).toEqual(byKey(db, 'events'));
    expect(store.count()).toBe((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n);
  };

  it('are exact after stores, duplicates, refreshes, refused conflicts, deletes and writes by hand', () => {
    const db = openDatabase(file());
    const clock = new ManualClock(T0);
    const store = new EventStore(db, clock);
    store.insert([event(1), event(2, { sourceNode: 'branch-7' }), event(3, { group: 'edge' })]);
    exact(db, store);
    expect(store.count()).toBe(3);
    // The same event again, a later expiry, and another fact under a taken id: nothing new stored.
    expect(store.insert([event(1)])[0]!.status).toBe('duplicate');
    expect(store.insert([event(1, { expiresAt: iso(T0 + 7_200_000) })])[0]!.status).toBe('refreshed');
    expect(store.insert([event(1, { payload: { n: 99 } })])[0]!.status).toBe('conflict');
    exact(db, store);
    expect(store.count()).toBe(3);
    // A batch rolled back by a conflict counts nothing.
    expect(() =>
      store.insert([event(4), event(2, { type: 'acme.other' })], { allOrNothing: true }),
    ).toThrow();
    exact(db, store);
    // Writes that bypass the store: a bulk insert (counted by recountEvents, as a bulk writer must
    // call it), a delete and a rewritten row (counted by their triggers).
    db.prepare(`INSERT INTO events (id, group_name, source_node, type, payload, observed_at, stored_at_ms)
      VALUES ('raw', 'core', 'onprem-1', 'acme.thing.seen', '{}', ?, ?)`).run(iso(T0), T0);
    expect(store.count()).toBe(3);
    recountEvents(db);
    exact(db, store);
    db.prepare("DELETE FROM events WHERE id = 'e-2'").run();
    db.prepare("UPDATE events SET source_node = 'moved' WHERE id = 'e-3'").run();
    exact(db, store);
    expect(store.count()).toBe(3);
    // A key whose last event goes leaves no row behind.
    expect(byKey(db, 'event_counts')).not.toContainEqual(
      expect.objectContaining({ source_node: 'branch-7' }),
    );
  });

  it('count a batch of several keys, duplicates and all, and nothing of a batch rolled back', () => {
    const db = openDatabase(file());
    const store = new EventStore(db, new ManualClock(T0));
    const batch = Array.from({ length: 200 }, (_, n) =>
      event(n, n % 2 ? {} : { type: 'acme.thing.gone', sourceNode: `node-${n % 3}` }),
    );
    store.insert([...batch, event(0), event(1)]);
    exact(db, store);
    expect(store.count()).toBe(200);
    // A batch whose last event conflicts: the counts of the others go with the rollback.
    expect(() =>
      store.insert([event(500), event(501), event(0, { payload: { n: -1 } })], { allOrNothing: true }),
    ).toThrow();
    exact(db, store);
    expect(store.count()).toBe(200);
  });

  it('are filled from the events already stored when an older database is migrated', () => {
    const f = file();
    const older = new BetterSqlite3(f);
    runMigrations(
      older,
      allMigrations.filter((m) => m.version < 51),
    );
    const insert = older.prepare(`INSERT INTO events (id, group_name, source_node, type, payload, observed_at,
      stored_at_ms) VALUES (?, ?, ?, 'acme.thing.seen', '{}', ?, ?)`);
    for (let n = 0; n < 300; n++) insert.run(`e-${n}`, n % 3 ? 'lab' : 'edge', `node-${n % 4}`, iso(T0), T0);
    older.close();
    const db = openDatabase(f);
    const store = new EventStore(db, new ManualClock(T0));
    exact(db, store);
    expect(store.count()).toBe(300);
    store.insert([event(1000)]);
    exact(db, store);
  });
});
