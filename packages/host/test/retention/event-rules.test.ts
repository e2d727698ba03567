// The events' retention rules at scale, against a brute-force reading of every row: expired (beyond the
// grace), stored longer than maxAge, the oldest beyond maxEvents — per group, each event counted once by
// its first rule, batches sharing one stored time or expiry larger than a page, an unconfigured group left
// alone, events stored after the plan kept. The dry run counts what the prune removes, lists the first
// PRUNE_LISTED, and no step of either removes more than PRUNE_CHUNK rows. A real SQLite file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrunedEvent } from '@routerd/host-wire';
import type { Event } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openDatabase } from '../../src/store/database.js';
import { DeliveryStore } from '../../src/store/deliveries.js';
import { EventStore } from '../../src/store/events.js';
import {
  EXPIRED_GRACE_MS,
  emptyTally,
  type GroupRetention,
  PRUNE_CHUNK,
  PRUNE_LISTED,
  type PruneCounts,
  RETENTION_DEFAULTS,
  type RetentionPlan,
  RetentionStore,
  SCAN_WINDOW,
} from '../../src/store/retention.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

const GROUPS: GroupRetention[] = [
  { group: 'a', maxAgeMs: 30 * 24 * HOUR, maxEvents: 200 },
  { group: 'b', maxAgeMs: 3 * HOUR, maxEvents: 100 },
];

function batch(prefix: string, group: string, n: number, expiresAt: number): Event[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    group,
    sourceNode: 'onprem-1',
    type: 'acme.thing.seen',
    payload: { i },
    observedAt: iso(T0),
    expiresAt: iso(expiresAt),
  }));
}

/** Every stored event, and what the rules say of it at `now`, read row by row. */
function bruteForce(db: ReturnType<typeof openDatabase>, now: number, maxSeq: number) {
  const rows = db
    .prepare(
      `SELECT seq, id, group_name AS "group", stored_at_ms AS storedAt, expires_at_ms AS expiresAt,
        EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.status = 'pending') AS pending
      FROM events WHERE seq <= ? ORDER BY seq`,
    )
    .all(maxSeq) as {
    seq: number;
    id: string;
    group: string;
    storedAt: number;
    expiresAt: number | null;
    pending: number;
  }[];
  const selected = new Map<string, { reason: PrunedEvent['reason']; undelivered: boolean }>();
  for (const g of GROUPS) {
    const ofGroup = rows.filter((r) => r.group === g.group);
    const beyond = ofGroup.slice(0, Math.max(0, ofGroup.length - g.maxEvents)).map((r) => r.id);
    for (const r of ofGroup) {
      const reason =
        r.expiresAt !== null && r.expiresAt <= now - EXPIRED_GRACE_MS
          ? 'expired'
          : r.storedAt <= now - g.maxAgeMs
            ? 'max-age'
            : beyond.includes(r.id)
              ? 'max-events'
              : undefined;
      if (reason) selected.set(r.id, { reason, undelivered: reason !== 'expired' && r.pending === 1 });
    }
  }
  return selected;
}

describe('the events rules of retention', () => {
  it('select per group exactly what a reading of every row selects; the prune removes that and no more', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'routerd-rules-')), 'routerd.db'));
    const clock = new ManualClock(T0);
    const events = new EventStore(db, clock);
    const deliveries = new DeliveryStore(db);
    // Group a: 1,000 stored in one millisecond that expire together (a batch larger than a page), then 300.
    events.insert(batch('a-old', 'a', 1000, T0 + HOUR));
    // Group b: 300 stored at T0 (beyond b's maxAge later), pending delivery for a third of them.
    for (const o of events.insert(batch('b-old', 'b', 300, T0 + 240 * HOUR)))
      if (Number(o.event.id.split('-')[2]) % 3 === 0)
        deliveries.enqueue(o.event.id, ['cloud'], T0, false, o.seq);
    // Group c has no EventGroup: nothing of it is removed, expired or not.
    events.insert(batch('c', 'c', 50, T0 + HOUR));
    clock.set(T0 + 3 * HOUR);
    events.insert(batch('a-new', 'a', 300, T0 + 240 * HOUR));
    for (const o of events.insert(batch('b-new', 'b', 400, T0 + 240 * HOUR)))
      deliveries.enqueue(o.event.id, ['cloud'], clock.now(), false, o.seq);
    clock.set(T0 + 4 * HOUR);

    const store = new RetentionStore(db);
    const plan: RetentionPlan = {
      cutoffs: {
        now: clock.now(),
        groups: GROUPS,
        replayWindowMs: 0,
        peers: ['cloud'],
        ledgerMaxAgeMs: RETENTION_DEFAULTS.ledgerMaxAgeMs,
        pluginRunsMax: RETENTION_DEFAULTS.pluginRunsMax,
      },
      bounds: { maxSeq: 0, lastExcess: {} },
      events: emptyTally(),
      counts: {},
    };
    let steps = 0;
    for (const _ of store.bounds(plan.cutoffs, plan.bounds)) steps++;
    // One step per SCAN_WINDOW events walked beyond each group's maxEvents.
    expect(steps).toBe(Math.ceil(1100 / SCAN_WINDOW) + Math.ceil(600 / SCAN_WINDOW));
    for (const _ of store.count(plan));

    const expected = bruteForce(db, clock.now(), plan.bounds.maxSeq);
    const reasons = [...expected.values()].map((e) => e.reason);
    expect(plan.events).toMatchObject({
      total: expected.size,
      byReason: {
        expired: reasons.filter((r) => r === 'expired').length,
        'max-age': reasons.filter((r) => r === 'max-age').length,
        'max-events': reasons.filter((r) => r === 'max-events').length,
      },
      undelivered: [...expected.values()].filter((e) => e.undelivered).length,
    });
    // 1000 expired + 100 beyond a's maxEvents; 300 beyond b's maxAge + 300 beyond its maxEvents.
    expect(plan.events.byReason).toEqual({ expired: 1000, 'max-age': 300, 'max-events': 400 });
    expect(plan.events.listed).toHaveLength(PRUNE_LISTED);
    for (const e of plan.events.listed)
      expect({ reason: e.reason, undelivered: e.undelivered }).toEqual(expected.get(e.id));

    // Stored after the plan: kept by this prune however the rules would judge them now.
    events.insert(batch('late', 'a', 5, T0));
    const before = new Set(
      (db.prepare('SELECT id FROM events').pluck().all() as string[]).filter((id) => !expected.has(id)),
    );
    const removed: PruneCounts = {};
    const tally = emptyTally();
    let stored = events.count();
    for (const _ of store.prune(plan, removed, tally)) {
      // No step removes more than a chunk of events.
      expect(stored - events.count()).toBeLessThanOrEqual(PRUNE_CHUNK);
      stored = events.count();
    }
    expect(removed.events).toBe(expected.size);
    expect({ ...tally, listed: tally.listed.length }).toEqual({ ...plan.events, listed: PRUNE_LISTED });
    expect(new Set(db.prepare('SELECT id FROM events').pluck().all())).toEqual(before);
    // Their pending deliveries went with them; the kept events' stayed.
    const pendingLeft = db.prepare("SELECT event_id FROM deliveries WHERE status = 'pending'").pluck().all();
    expect(pendingLeft.every((id) => before.has(id as string))).toBe(true);
    expect(pendingLeft.length).toBeGreaterThan(0);
  });
});
