// The outbox store on real SQLite: which writes wait for the disk, batch marks, and reading due rows
// by position while others are on the wire.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event } from '@routerd/plugin-sdk';
import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { ReadCursor } from '../../src/federation/read-cursor.js';
import { allMigrations, openDatabase } from '../../src/store/database.js';
import { DeliveryStore } from '../../src/store/deliveries.js';
import { EventStore } from '../../src/store/events.js';
import { relaxedCommitter } from '../../src/store/relaxed-commit.js';
import { commitSettings, FULL, NORMAL } from './commit-settings.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

function event(id: string): Event {
  return {
    id,
    group: 'lab',
    sourceNode: 'onprem-1',
    type: 'acme.thing.seen',
    payload: { n: id },
    observedAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + 3_600_000).toISOString(),
  };
}

/** A store whose events each get a pending row for `peers`, as Federation's enqueue writes them. */
function fresh(peers = ['cloud']) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'deliveries-')), 'routerd.db'));
  const clock = new ManualClock(T0);
  const events = new EventStore(db, clock);
  const deliveries = new DeliveryStore(db);
  events.withinInsert((changed, now) =>
    deliveries.enqueueAll(
      changed.map((o) => ({ id: o.event.id, seq: o.seq, peers, refreshed: o.status === 'refreshed' })),
      now,
    ),
  );
  const emit = (ids: string[]) => events.insert(ids.map(event));
  return { db, clock, events, deliveries, emit };
}

const ids = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `e${String(from + i).padStart(4, '0')}`);

describe('which outbox writes wait for the disk', () => {
  it('commits events and their delivery rows with synchronous=FULL, delivery marks with NORMAL', () => {
    const { db, deliveries, emit } = fresh();
    expect(commitSettings(db, () => emit(['a', 'b']))).toEqual([FULL]);
    expect(commitSettings(db, () => deliveries.markDelivered('cloud', ['a'], T0, 200))).toEqual([NORMAL]);
    expect(
      commitSettings(db, () => {
        deliveries.markRetry('cloud', ['b'], T0, T0 + 1000, 'down', 503);
        deliveries.markFailed('cloud', ['b'], T0, 'refused', 400);
        deliveries.recordAttempt('cloud', T0, false, 'backing-off', 3, 'down');
        deliveries.dueBy('cloud', T0);
        deliveries.expire('cloud', T0);
      }),
    ).toEqual([NORMAL, NORMAL, NORMAL, NORMAL, NORMAL]);
    // Back to the connection's own setting after each: the next event insert is durable again.
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    expect(commitSettings(db, () => emit(['c']))).toEqual([FULL]);
  });

  it('a relaxed write inside a transaction already open joins it (and its durability)', () => {
    const { db } = fresh();
    const relaxed = relaxedCommitter(db);
    db.exec('CREATE TABLE t (x)');
    expect(() =>
      db.transaction(() => {
        relaxed(() => db.prepare('INSERT INTO t VALUES (1)').run());
        expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(0);
  });

  it('restores the setting when the relaxed write throws', () => {
    const { db } = fresh();
    const relaxed = relaxedCommitter(db);
    expect(() =>
      relaxed(() => {
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
  });
});

describe('batch marks', () => {
  it('mark exactly the named pending rows of that peer, in one statement', () => {
    const { db, deliveries, emit } = fresh(['cloud', 'edge']);
    emit(ids(300));
    const marked = ids(100, 100);
    deliveries.markDelivered('cloud', marked, T0 + 5, 200);
    const rows = db
      .prepare(
        `SELECT event_id, peer, status, attempts, delivered_ms FROM deliveries WHERE status != 'pending'`,
      )
      .all() as { event_id: string; peer: string; attempts: number; delivered_ms: number }[];
    expect(rows.map((r) => r.event_id).sort()).toEqual(marked);
    expect(new Set(rows.map((r) => `${r.peer} ${r.attempts} ${r.delivered_ms}`))).toEqual(
      new Set([`cloud 1 ${T0 + 5}`]),
    );
    // A row already delivered is not marked again (its attempts stay 1), and failing it does nothing.
    deliveries.markDelivered('cloud', marked.slice(0, 1), T0 + 9, 200);
    deliveries.markFailed('cloud', marked.slice(0, 1), T0 + 9, 'late');
    expect(
      db
        .prepare(`SELECT status, attempts FROM deliveries WHERE event_id = ? AND peer = 'cloud'`)
        .get(marked[0]),
    ).toEqual({ status: 'delivered', attempts: 1 });
    expect(deliveries.pendingCount('cloud')).toBe(200);
    expect(deliveries.pendingCount('edge')).toBe(300);
  });
});

describe('the due index', () => {
  it('holds only pending rows, and a store made before migration 52 keeps its backlog due', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'deliveries-')), 'routerd.db');
    const before = allMigrations.filter((m) => m.version < 52);
    const old = openDatabase(file, before);
    // Rows as a store of that age wrote them (today's stores write columns it did not have yet).
    const insert = old.prepare(`INSERT INTO events (id, group_name, source_node, type, payload, observed_at,
      expires_at, expires_at_ms, stored_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const enqueue = old.prepare(`INSERT INTO deliveries (event_seq, event_id, peer, status, attempts,
      next_attempt_ms, enqueued_ms, updated_ms) VALUES (?, ?, 'cloud', 'pending', 0, ?, ?, ?)`);
    for (const e of ids(5).map(event)) {
      const { lastInsertRowid } = insert.run(
        e.id,
        e.group,
        e.sourceNode,
        e.type,
        JSON.stringify(e.payload),
        e.observedAt,
        e.expiresAt,
        Date.parse(e.expiresAt!),
        T0,
      );
      enqueue.run(lastInsertRowid, e.id, T0, T0, T0);
    }
    old
      .prepare(`UPDATE deliveries SET status = 'delivered', delivered_ms = ? WHERE event_id IN (?, ?)`)
      .run(T0, ...ids(2));
    old.close();
    const db = openDatabase(file);
    expect(db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'deliveries_due'`).pluck().get()).toMatch(
      /WHERE status = 'pending'$/,
    );
    const due = new DeliveryStore(db).due('cloud', T0 + 1, 10, 1 << 20, {});
    expect(due.deliveries.map((d) => d.event.id)).toEqual(ids(3, 2));
  });
});

describe('expiry', () => {
  it('marks the pending rows of expired events for that peer only, and leaves delivered ones', () => {
    const { db, clock, deliveries, events } = fresh(['cloud', 'edge']);
    const at = (ms: number) => new Date(T0 + ms).toISOString();
    events.insert([
      { ...event('short'), expiresAt: at(1_000) },
      { ...event('done'), expiresAt: at(1_000) },
      event('long'),
    ]);
    deliveries.markDelivered('cloud', ['done'], T0, 200);
    clock.advance(2_000);
    expect(deliveries.expire('cloud', clock.now())).toBe(1);
    const status = db
      .prepare(`SELECT event_id || ' ' || peer || ' ' || status FROM deliveries ORDER BY 1`)
      .pluck();
    expect(status.all()).toEqual([
      'done cloud delivered',
      'done edge pending',
      'long cloud pending',
      'long edge pending',
      'short cloud expired',
      'short edge pending',
    ]);
    expect(deliveries.expire('edge', clock.now())).toBe(2);
  });

  it('given a time, marks only the rows of events that expired after it (a pass reads what expired since the last)', () => {
    const { clock, deliveries, events } = fresh(['cloud']);
    const at = (ms: number) => new Date(T0 + ms).toISOString();
    events.insert([
      { ...event('early'), expiresAt: at(1_000) },
      { ...event('on-the-bound'), expiresAt: at(2_000) },
      { ...event('late'), expiresAt: at(3_000) },
      { ...event('later'), expiresAt: at(5_000) },
    ]);
    clock.advance(4_000);
    const status = () => deliveries.list({}).map((d) => `${d.eventId} ${d.status}`);
    expect(deliveries.expire('cloud', clock.now(), T0 + 2_000)).toBe(1);
    expect(status()).toEqual(['later pending', 'late expired', 'on-the-bound pending', 'early pending']);
    // Without a time, every expired event is read.
    expect(deliveries.expire('cloud', clock.now())).toBe(2);
    expect(status()).toEqual(['later pending', 'late expired', 'on-the-bound expired', 'early expired']);
  });
});

describe('reading due rows', () => {
  const due = (d: DeliveryStore, skip = {}, max = 100) => d.due('cloud', T0 + 1, max, 1 << 20, skip);

  it('returns a batch in order with its first and last positions, full when the count stopped it', () => {
    const { deliveries, emit } = fresh();
    emit(ids(150));
    const a = due(deliveries);
    expect(a.deliveries.map((d) => d.event.id)).toEqual(ids(100));
    expect(a.full).toBe(true);
    expect(a.first).toEqual({ nextAttemptMs: T0, seq: 1 });
    expect(a.last).toEqual({ nextAttemptMs: T0, seq: 100 });
    // The payload stays the JSON text it was stored as.
    expect(a.deliveries[0]!.event).toMatchObject({ id: 'e0000', payloadJson: '{"n":"e0000"}' });
    const b = due(deliveries, { after: a.last });
    expect(b.deliveries.map((d) => d.event.id)).toEqual(ids(50, 100));
    expect(b.full).toBe(false);
    expect(due(deliveries, { ids: new Set(ids(140)) }).deliveries.map((d) => d.event.id)).toEqual(
      ids(10, 140),
    );
  });

  it('takes any count as a whole number of rows, at least one: the limit is written into the SQL', () => {
    const { deliveries, emit } = fresh();
    emit(ids(5));
    const read = (max: number) => due(deliveries, {}, max);
    expect(read(2.7).deliveries.map((d) => d.event.id)).toEqual(ids(2));
    expect(read(2.7).full).toBe(true);
    expect(read(0).deliveries.map((d) => d.event.id)).toEqual(ids(1));
    expect(read(Number.NaN).deliveries.map((d) => d.event.id)).toEqual(ids(1));
    const all = read(Number.POSITIVE_INFINITY);
    expect(all.deliveries.map((d) => d.event.id)).toEqual(ids(5));
    expect(all.full).toBe(false);
    // Each count is its own statement; reading with one after another keeps each its own limit.
    expect([3, 1, 3].map((n) => read(n).deliveries.length)).toEqual([3, 1, 3]);
  });

  it('by position while requests are in flight, exactly again for a row put back behind it', () => {
    const { clock, deliveries, emit } = fresh();
    const cursor = new ReadCursor();
    const onTheWire = new Set<string>();
    const read = () => {
      const skip = cursor.skip(onTheWire, clock.now());
      const batch = deliveries.due('cloud', clock.now(), 10, 1 << 20, skip);
      cursor.sent(batch, skip);
      for (const d of batch.deliveries) onTheWire.add(d.event.id);
      return { skip, got: batch.deliveries.map((d) => d.event.id) };
    };
    emit(ids(30));
    clock.advance(10);
    // Nothing in flight: nothing to leave out. Then by position, not by naming the rows on the wire.
    expect(read()).toEqual({ skip: {}, got: ids(10) });
    const second = read();
    expect(second.skip).toEqual({ after: { nextAttemptMs: T0, seq: 10 } });
    expect(second.got).toEqual(ids(10, 10));
    // The clock stepped back: an event enqueued now sorts before the position. The positional read
    // does not see it; a rewind (as once a second, or after making rows due again) does.
    clock.set(T0 - 5_000);
    emit(['late']);
    clock.set(T0 + 20);
    expect(read().got).toEqual(ids(10, 20));
    cursor.rewind();
    const exact = read();
    expect(exact.skip).toHaveProperty('ids');
    expect(exact.got).toEqual(['late']);
    // Found nothing further behind: positional again from the furthest row sent.
    emit(['next']);
    const after = read();
    expect(after.skip).toEqual({ ids: onTheWire });
    expect(after.got).toEqual(['next']);
    expect(read().skip).toHaveProperty('after');
    // Once nothing is on the wire, the position is forgotten.
    onTheWire.clear();
    expect(cursor.skip(onTheWire, clock.now())).toEqual({});
  });
});

describe('enqueueAll', () => {
  it("writes each new event's rows for its own peers in one statement per peer, with the event's row number", () => {
    const { db, events, deliveries } = fresh([]);
    // Count the outbox's insert statements as they run (each is prepared once and cached).
    let inserts = 0;
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      if (!sql.includes('INSERT INTO deliveries')) return statement;
      const run = statement.run.bind(statement);
      statement.run = (...params: unknown[]) => {
        inserts++;
        return run(...params);
      };
      return statement;
    }) as typeof db.prepare;
    const outcomes = events.insert(ids(4).map(event));
    deliveries.enqueueAll(
      outcomes.map((o, i) => ({
        id: o.event.id,
        seq: o.seq,
        peers: i % 2 === 0 ? ['cloud', 'edge'] : ['edge'],
        refreshed: false,
      })),
      T0,
    );
    expect(inserts).toBe(2);
    const rows = db
      .prepare(
        'SELECT d.peer, d.event_id, d.event_seq = e.seq AS sameSeq, d.status FROM deliveries d JOIN events e ON e.id = d.event_id ORDER BY d.peer, d.event_id',
      )
      .all();
    expect(rows).toEqual([
      { peer: 'cloud', event_id: 'e0000', sameSeq: 1, status: 'pending' },
      { peer: 'cloud', event_id: 'e0002', sameSeq: 1, status: 'pending' },
      ...ids(4).map((id) => ({ peer: 'edge', event_id: id, sameSeq: 1, status: 'pending' })),
    ]);
    expect(deliveries.summary(['cloud', 'edge'], T0).map((s) => s.pending)).toEqual([2, 4]);
  });

  it('keeps a row already there as it was, and takes a refreshed event back to pending and counts it', () => {
    const { clock, deliveries, emit } = fresh(['cloud']);
    const [first, second] = emit(ids(2));
    deliveries.markDelivered('cloud', ['e0000', 'e0001'], clock.now(), 200);
    clock.advance(1_000);
    deliveries.enqueueAll(
      [
        { id: first!.event.id, seq: first!.seq, peers: ['cloud'], refreshed: false },
        { id: second!.event.id, seq: undefined, peers: ['cloud'], refreshed: true },
      ],
      clock.now(),
    );
    expect(deliveries.list({ peer: 'cloud' }).map((d) => [d.eventId, d.status])).toEqual([
      ['e0001', 'pending'],
      ['e0000', 'delivered'],
    ]);
    expect(deliveries.summary(['cloud'], clock.now())[0]).toMatchObject({ delivered: 1, pending: 1 });
  });
});

describe('the summary', () => {
  /** What the summary said before migration 55, by a walk of the whole ledger: the truth to compare with. */
  function counted(db: Database, peers: string[], now: number) {
    const rows = db
      .prepare(`
        SELECT peer,
          SUM(status = 'delivered') AS delivered, SUM(status = 'pending') AS pending,
          SUM(status = 'failed') AS failed, SUM(status = 'expired') AS expired,
          MIN(CASE WHEN status = 'pending' THEN enqueued_ms END) AS oldest,
          MAX(CASE WHEN status = 'delivered' AND delivered_ms >= ? THEN delivered_ms - enqueued_ms END) AS lag
        FROM deliveries GROUP BY peer`)
      .all(now - 15 * 60_000) as ({ peer: string } & Record<
      'delivered' | 'pending' | 'failed' | 'expired' | 'oldest' | 'lag',
      number | null
    >)[];
    return peers.map((peer) => {
      const r = rows.find((x) => x.peer === peer);
      return {
        peer,
        delivered: r?.delivered ?? 0,
        pending: r?.pending ?? 0,
        failed: r?.failed ?? 0,
        expired: r?.expired ?? 0,
        oldestPendingAgeSeconds: r?.oldest == null ? null : (now - r.oldest) / 1000,
        maxLagSeconds: r?.lag == null ? null : r.lag / 1000,
      };
    });
  }

  it('stays what a walk of the ledger says through every writer: enqueue, refresh, marks, expiry, redelivery, deletion', () => {
    const peers = ['cloud', 'edge'];
    const { db, clock, deliveries, emit, events } = fresh(peers);
    const check = () =>
      expect(deliveries.summary(peers, clock.now())).toEqual(counted(db, peers, clock.now()));
    check();
    emit(ids(10));
    clock.advance(1_000);
    emit(ids(5, 10));
    check();
    clock.advance(2_500);
    deliveries.markDelivered('cloud', ids(6), clock.now(), 200);
    deliveries.markDelivered('cloud', ids(2), clock.now(), 200); // again: nothing changes
    check();
    // A TTL refresh (Federation's enqueue, refreshed) puts a delivered row back to pending; one still
    // pending stays as it is.
    deliveries.enqueue(ids(1)[0]!, ['cloud'], clock.now(), true);
    deliveries.enqueue(ids(1, 8)[0]!, ['cloud'], clock.now(), true);
    expect(deliveries.summary(peers, clock.now())[0]).toMatchObject({ delivered: 5, pending: 10 });
    check();
    clock.advance(40_000);
    deliveries.markDelivered('cloud', ids(3, 6), clock.now(), 200);
    deliveries.markRetry('edge', ids(4), clock.now(), clock.now() + 1_000, 'timeout');
    deliveries.markFailed('edge', ids(2, 4), clock.now(), 'refused', 400);
    check();
    events.insert([{ ...event('short'), expiresAt: new Date(clock.now() + 500).toISOString() }]);
    clock.advance(1_000);
    expect(deliveries.expire('edge', clock.now())).toBe(1);
    check();
    expect(deliveries.redeliver(ids(1)[0]!, clock.now())).toBe(2);
    expect(deliveries.redeliverFailed({ peer: 'edge' }, clock.now())).toBe(2);
    check();
    // Retention deletes rows (store/retention.ts); the counters follow.
    db.prepare(`DELETE FROM deliveries WHERE event_id IN ('e0010', 'e0011')`).run();
    check();
    const [cloud] = deliveries.summary(peers, clock.now());
    expect(cloud).toMatchObject({ delivered: 8, pending: 6, maxLagSeconds: 43.5 });
    expect(deliveries.pendingCount('edge')).toBe(counted(db, peers, clock.now())[1]!.pending);
  });

  it('reads no row of the ledger beyond the pending ones', () => {
    const { db, deliveries } = fresh();
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan(`SELECT status, n FROM delivery_counts WHERE peer = 'cloud'`)).toMatch(/USING PRIMARY KEY/);
    expect(
      plan(
        `SELECT MIN(enqueued_ms) FROM deliveries INDEXED BY deliveries_pending_age WHERE peer = 'cloud' AND status = 'pending'`,
      ),
    ).toMatch(/USING COVERING INDEX deliveries_pending_age/);
    expect(deliveries.summary(['cloud'], T0)).toEqual([
      {
        peer: 'cloud',
        delivered: 0,
        pending: 0,
        failed: 0,
        expired: 0,
        oldestPendingAgeSeconds: null,
        maxLagSeconds: null,
      },
    ]);
  });

  it('a store made before migration 55 gets its counters and recent lag from the rows it holds', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'deliveries-')), 'routerd.db');
    const old = openDatabase(
      file,
      allMigrations.filter((m) => m.version < 55),
    );
    const insertEvent =
      old.prepare(`INSERT INTO events (id, group_name, source_node, type, payload, observed_at,
      expires_at, expires_at_ms, stored_at_ms) VALUES (?, 'lab', 'onprem-1', 'acme.thing.seen', '{}', ?, NULL, NULL, ?)`);
    const insertDelivery = old.prepare(`INSERT INTO deliveries (event_seq, event_id, peer, status, attempts,
      next_attempt_ms, enqueued_ms, updated_ms, delivered_ms) VALUES (?, ?, 'cloud', ?, 0, ?, ?, ?, ?)`);
    const now = T0 + 3_600_000;
    ids(6).forEach((id, i) => {
      const { lastInsertRowid } = insertEvent.run(id, new Date(T0).toISOString(), T0);
      const delivered = i < 4;
      // Two delivered long ago (outside the lag window), two recently with lags of 2 s and 7 s.
      const deliveredMs = delivered ? (i < 2 ? T0 + 1_000 : now - 60_000) : null;
      const enqueued = i < 2 ? T0 : i === 2 ? now - 62_000 : i === 3 ? now - 67_000 : now - 30_000 + i;
      insertDelivery.run(
        lastInsertRowid,
        id,
        delivered ? 'delivered' : 'pending',
        enqueued,
        enqueued,
        enqueued,
        deliveredMs,
      );
    });
    old.close();
    const db = openDatabase(file);
    expect(new DeliveryStore(db).summary(['cloud'], now)).toEqual(counted(db, ['cloud'], now));
    expect(new DeliveryStore(db).summary(['cloud'], now)[0]).toMatchObject({
      delivered: 4,
      pending: 2,
      maxLagSeconds: 7,
      oldestPendingAgeSeconds: 29.996,
    });
  });
});
