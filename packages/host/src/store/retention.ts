/**
 * Retention: the one table of ledgers and their rules. Every table that grows with use is here, with
 * what it keeps, how long, the config field that sets it and its default — written once. `bounds()` then
 * `count()` is what `routerctl federation event prune --dry-run` shows; `prune(plan)` removes what it
 * counts. Every step reads or removes a bounded number of rows (a window of a ledger, a page of events
 * through an index, a transaction of at most PRUNE_CHUNK rows) and yields, so the caller hands the event
 * loop (and SQLite's writer lock) to other work in between, and memory stays flat however large the
 * tables. Knows SQL, nothing about config files or timers.
 */
import type { PrunedEvent } from '@routerd/host-wire';
import type { Database, Statement } from 'better-sqlite3';
import { EventCounts } from './event-counts.js';
import { relaxedCommitter } from './relaxed-commit.js';
import { statementCache } from './statement-cache.js';

const DAY_MS = 24 * 3_600_000;

/** The defaults of the ledgers no config field sets. */
export const RETENTION_DEFAULTS = {
  /** Handled and terminal ledger rows are kept this long after their last change. */
  ledgerMaxAgeMs: 7 * DAY_MS,
  /** `plugin_runs` keeps at most this many records (and none older than ledgerMaxAgeMs). */
  pluginRunsMax: 10_000,
} as const;

/** An expired event is kept this long after expiry, so a late duplicate is still recognised as one. */
export const EXPIRED_GRACE_MS = 5 * 60_000;
/** Rows per transaction and per page of events read: each holds the event loop a few milliseconds. */
export const PRUNE_CHUNK = 250;
/** Rows a ledger window or a maxEvents walk passes over per step. */
export const SCAN_WINDOW = 5000;
/** The dry run and a prune's answer list at most this many events; their counts cover them all. */
export const PRUNE_LISTED = 1000;
/**
 * Tables that are no ledger: their rows follow another table's (event_counts: one per key of stored
 * events; delivery_counts: one per (peer, status) of deliveries; delivery_lag: one per peer and minute of
 * the last 16, trimmed as deliveries are marked).
 */
export const DERIVED_TABLES = ['event_counts', 'delivery_counts', 'delivery_lag'] as const;

export interface GroupRetention {
  group: string;
  maxAgeMs: number;
  maxEvents: number;
}

/** Every bound, resolved to numbers at one instant (`now`). */
export interface RetentionCutoffs {
  now: number;
  groups: readonly GroupRetention[];
  /** The longest replayWindow of any group. */
  replayWindowMs: number;
  /** Peers in the config: state rows of any other peer go. */
  peers: readonly string[];
  ledgerMaxAgeMs: number;
  pluginRunsMax: number;
}

/** One ledger other than `events`: rows matching `where` (bound to the cutoffs' parameters) go. */
interface Ledger {
  table: string;
  keeps: string;
  rule: string;
  /** The config field that sets the bound, or null when only the default applies. */
  setting: string | null;
  where: string;
  params: (c: RetentionCutoffs) => Record<string, unknown>;
  /**
   * The column that says when a row was first written (set once, never later than any time `where`
   * compares), and the latest such time a row `where` selects can have. Rows are walked in rowid order,
   * the order they were written in, so the walk ends at the first row written after it: neither that row
   * nor any later one can match. Without it, every row is read, every prune.
   */
  written?: { column: string; latest: (c: RetentionCutoffs) => number };
}

/** Handled ledger rows unchanged since this time go. */
const ledgerCutoff = (c: RetentionCutoffs) => c.now - c.ledgerMaxAgeMs;
const before = (c: RetentionCutoffs) => ({ before: ledgerCutoff(c), now: c.now });
/** A ledger whose rule asks for rows unchanged since `before`: one first written after it has changed since. */
const writtenBefore = (column: string) => ({ column, latest: ledgerCutoff });
const days = (ms: number) => `${ms / DAY_MS} days`;
/** Received batch ids are kept twice the longest replay window: a replay within it is still recognised. */
const replayCutoff = (c: RetentionCutoffs) => c.now - 2 * c.replayWindowMs;

/** A part that retention removes (`p` prefixes the columns): released or expired, unchanged since the bound. */
const partGoes = (p = '') =>
  `${p}updated_ms <= @before AND (${p}state = 'released' OR (${p}expires_at_ms IS NOT NULL AND ${p}expires_at_ms <= @now))`;

/** The events ledger, planned row by row (the dry run lists each event), then every other ledger. */
export const EVENTS_LEDGER = {
  table: 'events',
  keeps: 'events of each EventGroup',
  rule: `expired for more than ${EXPIRED_GRACE_MS / 60_000} min; stored longer than maxAge; the oldest beyond maxEvents`,
  setting: 'EventGroup.spec.retention.maxAge, EventGroup.spec.retention.maxEvents',
} as const;

const d = RETENTION_DEFAULTS;
export const LEDGERS: readonly Ledger[] = [
  {
    table: 'deliveries',
    keeps: 'one outbox row per (event, peer)',
    rule: `delivered, failed or expired rows unchanged for ${days(d.ledgerMaxAgeMs)}; every row of a removed event`,
    setting: null,
    where: `status IN ('delivered', 'failed', 'expired') AND updated_ms <= @before`,
    params: before,
    written: writtenBefore('created_ms'),
  },
  {
    table: 'received_webhooks',
    keeps: 'the ids of received batches (replay protection)',
    rule: 'older than twice the longest replayWindow',
    setting: 'EventGroup.spec.replayWindow',
    where: 'received_ms <= @cutoff',
    params: (c) => ({ cutoff: replayCutoff(c) }),
    written: { column: 'received_ms', latest: replayCutoff },
  },
  {
    table: 'peer_state',
    keeps: "each peer's delivery state",
    rule: 'peers no longer in the config',
    setting: 'EventPeer',
    where: 'peer NOT IN (SELECT value FROM json_each(@peers))',
    params: (c) => ({ peers: JSON.stringify(c.peers) }),
  },
  {
    table: 'subscription_runs',
    keeps: 'one run-ledger row per (subscription, event)',
    // Only once their event is gone too, or a TTL refresh of a still-stored event would look new and run again.
    rule: `succeeded or expired rows unchanged for ${days(d.ledgerMaxAgeMs)} whose event is gone`,
    setting: null,
    where: `status IN ('succeeded', 'expired') AND updated_ms <= @before AND event_id NOT IN (SELECT id FROM events)`,
    params: before,
    written: writtenBefore('created_ms'),
  },
  {
    table: 'plugin_runs',
    keeps: 'one record per plugin run',
    rule: `older than ${days(d.ledgerMaxAgeMs)}; the oldest beyond the newest ${d.pluginRunsMax}`,
    setting: null,
    where: `started_ms < @before OR seq <= IFNULL((SELECT seq FROM plugin_runs ORDER BY seq DESC LIMIT 1 OFFSET @max), 0)`,
    params: (c) => ({ before: ledgerCutoff(c), max: c.pluginRunsMax }),
  },
  {
    table: 'dynamic_parts',
    keeps: 'DynamicConfigParts',
    rule: `released or expired parts unchanged for ${days(d.ledgerMaxAgeMs)}`,
    setting: null,
    where: partGoes(),
    params: before,
  },
  {
    table: 'address_claims',
    keeps: 'the claim ledger (one row per domain and address)',
    rule: `released claims unchanged for ${days(d.ledgerMaxAgeMs)}`,
    setting: null,
    where: `state = 'released' AND updated_ms <= @before`,
    params: before,
  },
  {
    table: 'announced_plans',
    keeps: 'which action plans were announced (each once per life of its part)',
    rule: `announced more than ${days(d.ledgerMaxAgeMs)} ago, and no longer a plan of a part that stays`,
    setting: null,
    where: `announced_ms <= @before AND NOT EXISTS (
      SELECT 1 FROM dynamic_parts p, json_each(p.body, '$.spec.actionPlans') j
      WHERE p.name = announced_plans.part AND NOT (${partGoes('p.')})
        AND json_extract(j.value, '$.idempotencyKey') = announced_plans.idempotency_key)`,
    params: before,
  },
  {
    table: 'action_executions',
    keeps: 'the action journal (one row per execution of an action plan)',
    // Unfinished executions (awaiting approval, approved, running) are never removed: one is a promise.
    rule: `finished executions unchanged for ${days(d.ledgerMaxAgeMs)}`,
    setting: null,
    where: `state NOT IN ('awaiting-approval', 'approved', 'running') AND updated_ms <= @before`,
    params: before,
    written: writtenBefore('created_ms'),
  },
];

type Reason = PrunedEvent['reason'];

/** Where the events' rules stop, fixed at the plan's instant. */
export interface EventBounds {
  /** The newest event then: an event stored after the plan is never removed by it. */
  maxSeq: number;
  /** Per group, the newest of its events beyond maxEvents then (-1: none). */
  lastExcess: Record<string, number>;
}

/** Events a plan selects, or a prune removed: how many, why, how many never delivered, the first few. */
export interface EventTally {
  total: number;
  byReason: Record<Reason, number>;
  undelivered: number;
  /** The first PRUNE_LISTED of them, in the order a prune removes them. */
  listed: PrunedEvent[];
}

export const emptyTally = (): EventTally => ({
  total: 0,
  byReason: { expired: 0, 'max-age': 0, 'max-events': 0 },
  undelivered: 0,
  listed: [],
});

export interface RetentionPlan {
  cutoffs: RetentionCutoffs;
  bounds: EventBounds;
  /** The events the rules select now (filled by count()). */
  events: EventTally;
  /** Rows each other ledger would lose now (filled by count()). */
  counts: Record<string, number>;
}

/** Rows removed, per table. */
export type PruneCounts = Record<string, number>;

/** An event as a page of a pass reads it. */
interface Candidate {
  seq: number;
  id: string;
  group: string;
  type: string;
  storedAt: number;
  expiresAt: number | null;
  pending: number;
  /** The pass's sort key (expires_at_ms, stored_at_ms or seq). */
  k: number;
}
/** A candidate a rule selects, and which. */
type Selected = Candidate & { reason: Reason };

/**
 * One pass over the events: an index walked in (key, seq) order up to `bound`, keeping the rows whose
 * reason is the pass's. Expired events in one pass for every group (by expiry), then per group those
 * stored longer than maxAge (by stored time) and the oldest beyond maxEvents (by seq): each row read
 * once by the pass of its reason, however many rules select it.
 */
interface Pass {
  reason: Reason;
  key: 'expires_at_ms' | 'stored_at_ms' | 'seq';
  index: string;
  where: string;
  params: Record<string, unknown>;
  bound: number;
}

const COLUMNS = 'seq, id, group_name AS "group", type, stored_at_ms AS storedAt, expires_at_ms AS expiresAt';
/**
 * An event with a pending delivery, checked inside the page's statement (no round trip per event) by a
 * dry run; a prune learns it from the delivery rows it deletes (the look-up is most of a page's cost).
 */
const PENDING = `EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.status = 'pending')`;
/** Past the largest rowid SQLite can give: the end of a table's last window. */
const END_OF_TABLE = 9223372036854775807n;

export class RetentionStore {
  private readonly stmt: (sql: string) => Statement;
  private readonly counts: EventCounts;
  private readonly relaxed: <T>(write: () => T) => T;

  constructor(db: Database) {
    this.stmt = statementCache(db);
    this.counts = new EventCounts(db);
    // A lost prune only brings rows back that the next prune removes: its commits need not wait for the disk.
    this.relaxed = relaxedCommitter(db);
  }

  /**
   * Fix the events' bounds at the cutoffs' instant: the newest event, and per group the newest of its
   * events beyond maxEvents — from the group's counter, then a walk of its index SCAN_WINDOW rows a step.
   */
  *bounds(cutoffs: RetentionCutoffs, bounds: EventBounds): Generator<void, void, void> {
    bounds.maxSeq = this.stmt('SELECT IFNULL(MAX(seq), 0) FROM events').pluck().get() as number;
    const excess = cutoffs.groups.map((g) => [g.group, this.counts.inGroup(g.group) - g.maxEvents] as const);
    const walk = this.stmt(`SELECT seq FROM events INDEXED BY events_group_seq
      WHERE group_name = ? AND seq > ? ORDER BY seq LIMIT 1 OFFSET ?`).pluck();
    for (const [group, beyond] of excess) {
      let last = -1;
      for (let left = beyond; left > 0; ) {
        const step = Math.min(left, SCAN_WINDOW);
        const seq = walk.get(group, last, step - 1) as number | undefined;
        if (seq === undefined) break; // fewer rows than counted: none is left beyond
        last = seq;
        left -= step;
        yield;
      }
      bounds.lastExcess[group] = last;
    }
  }

  /**
   * What a prune at the plan's cutoffs and bounds removes, counted into `plan` (each ledger a window at a
   * time, then the events a page at a time). Yields after every window and page: counting a large table
   * does not hold the event loop.
   */
  *count(plan: RetentionPlan): Generator<void, void, void> {
    for (const l of LEDGERS) {
      plan.counts[l.table] = 0;
      const count = this.stmt(
        `SELECT COUNT(*) FROM ${l.table} WHERE rowid > @after AND rowid <= @end AND (${l.where})`,
      ).pluck();
      const params = l.params(plan.cutoffs);
      for (const [after, end] of this.windows(l, plan.cutoffs)) {
        plan.counts[l.table]! += count.get({ ...params, after, end }) as number;
        yield;
      }
    }
    for (const page of this.selected(plan, true)) {
      tally(plan.events, page);
      yield;
    }
  }

  /**
   * Remove what the plan selects: each ledger by its rule at the plan's cutoffs, then the selected events
   * with their deliveries — ledgers first, so what each removes is what the dry run counted. At most
   * PRUNE_CHUNK rows per transaction; yields after each. `removed` holds the rows removed so far, per
   * table; `events` the events among them.
   */
  *prune(plan: RetentionPlan, removed: PruneCounts, events: EventTally): Generator<void, void, void> {
    for (const l of LEDGERS) {
      removed[l.table] = 0;
      const chunk = this.stmt(`DELETE FROM ${l.table} WHERE rowid IN (
        SELECT rowid FROM ${l.table} WHERE rowid > @after AND rowid <= @end AND (${l.where})
        ORDER BY rowid LIMIT ${PRUNE_CHUNK}) RETURNING rowid AS r`);
      const params = l.params(plan.cutoffs);
      for (const [start, end] of this.windows(l, plan.cutoffs)) {
        for (let after = start; ; ) {
          const rows = this.relaxed(() => chunk.all({ ...params, after, end }) as { r: number }[]);
          removed[l.table]! += rows.length;
          yield;
          if (rows.length < PRUNE_CHUNK) break;
          after = rows.reduce((m, x) => Math.max(m, x.r), after);
        }
      }
    }
    // A page's events as one JSON array: two statements per page, not two per event.
    const delDeliveries = this.stmt(`DELETE FROM deliveries WHERE event_id IN (SELECT value FROM json_each(?))
      RETURNING CASE status WHEN 'pending' THEN event_id END`).pluck();
    const delEvents = this.stmt('DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?))');
    removed.events = 0;
    for (const page of this.selected(plan, false)) {
      if (page.length > 0)
        this.relaxed(() => {
          const pending = new Set(delDeliveries.all(JSON.stringify(page.map((e) => e.id))));
          for (const e of page) e.pending = pending.has(e.id) ? 1 : 0;
          removed.events! += delEvents.run(JSON.stringify(page.map((e) => e.seq))).changes;
        });
      tally(events, page);
      yield;
    }
  }

  /**
   * A ledger's rowids in windows of SCAN_WINDOW rows, as (after, end]: each step reads a bounded range.
   * With `written`, the windows end before the first row written after its latest time and not after
   * `now`: a row dated later than now was written while the clock was ahead, and says nothing about the
   * rows after it, so the walk goes on. A clock stepped back makes the rows written after the step removed
   * late, by at most the step; a row is never removed before its rule selects it (`where` decides).
   */
  private *windows(l: Ledger, c: RetentionCutoffs): Generator<[number, number | bigint], void, void> {
    const next = this.stmt(
      `SELECT rowid FROM ${l.table} WHERE rowid > ? ORDER BY rowid LIMIT 1 OFFSET ${SCAN_WINDOW - 1}`,
    ).pluck();
    const firstWritten =
      l.written &&
      this.stmt(`SELECT ${l.written.column} FROM ${l.table} WHERE rowid > ? ORDER BY rowid LIMIT 1`).pluck();
    const latest = l.written?.latest(c) ?? 0;
    for (let after = Number.MIN_SAFE_INTEGER; ; ) {
      if (firstWritten) {
        const written = firstWritten.get(after) as number | undefined;
        if (written === undefined || (written > latest && written <= c.now)) return;
      }
      const end = next.get(after) as number | undefined;
      yield [after, end ?? END_OF_TABLE];
      if (end === undefined) return;
      after = end;
    }
  }

  /** The events the plan's rules select, a page of at most PRUNE_CHUNK rows read at a time. */
  private *selected(plan: RetentionPlan, pending: boolean): Generator<Selected[], void, void> {
    const c = plan.cutoffs;
    const expiredBefore = c.now - EXPIRED_GRACE_MS;
    const groups = new Map(c.groups.map((g) => [g.group, g]));
    const reasonOf = (e: Candidate): Reason | undefined => {
      const g = groups.get(e.group);
      if (!g || e.seq > plan.bounds.maxSeq) return undefined;
      if (e.expiresAt !== null && e.expiresAt <= expiredBefore) return 'expired';
      if (e.storedAt <= c.now - g.maxAgeMs) return 'max-age';
      if (e.seq <= (plan.bounds.lastExcess[g.group] ?? -1)) return 'max-events';
      return undefined;
    };
    const passes: Pass[] = [
      {
        reason: 'expired',
        key: 'expires_at_ms',
        index: 'events_expires_at',
        where: 'expires_at_ms IS NOT NULL',
        params: {},
        bound: expiredBefore,
      },
      ...c.groups.flatMap((g): Pass[] => [
        {
          reason: 'max-age',
          key: 'stored_at_ms',
          index: 'events_group_stored',
          where: 'group_name = @group',
          params: { group: g.group },
          bound: c.now - g.maxAgeMs,
        },
        {
          reason: 'max-events',
          key: 'seq',
          index: 'events_group_seq',
          where: 'group_name = @group',
          params: { group: g.group },
          bound: plan.bounds.lastExcess[g.group] ?? -1,
        },
      ]),
    ];
    for (const pass of passes) {
      let k = Number.MIN_SAFE_INTEGER;
      let seq = -1;
      for (;;) {
        const rows = this.page(pass, k, seq, pending);
        if (rows.length === 0) break;
        k = rows.at(-1)!.k;
        seq = rows.at(-1)!.seq;
        yield rows.filter((e): e is Selected => {
          (e as Selected).reason = pass.reason;
          return reasonOf(e) === pass.reason;
        });
        if (rows.length < PRUNE_CHUNK) break;
      }
    }
  }

  /**
   * The next PRUNE_CHUNK rows of a pass after (k, seq). Two statements, because SQLite seeks an index by
   * a row value's first column only: rows sharing key k (a batch stored in one millisecond) past seq,
   * then rows of later keys up to the bound.
   */
  private page(pass: Pass, k: number, seq: number, pending: boolean): Candidate[] {
    const columns = `${COLUMNS}, ${pending ? PENDING : 0} AS pending, ${pass.key} AS k`;
    const from = `SELECT ${columns} FROM events INDEXED BY ${pass.index} WHERE ${pass.where}`;
    const rows =
      pass.key === 'seq'
        ? []
        : (this.stmt(`${from} AND ${pass.key} = @k AND seq > @seq ORDER BY seq LIMIT ${PRUNE_CHUNK}`).all({
            ...pass.params,
            k,
            seq,
          }) as Candidate[]);
    if (rows.length === PRUNE_CHUNK) return rows;
    const later = this.stmt(
      `${from} AND ${pass.key} > @k AND ${pass.key} <= @bound ORDER BY ${pass.key}, seq LIMIT @n`,
    ).all({
      ...pass.params,
      k: pass.key === 'seq' ? seq : k,
      bound: pass.bound,
      n: PRUNE_CHUNK - rows.length,
    });
    return rows.concat(later as Candidate[]);
  }
}

/** Add a page of selected events to a tally. */
function tally(t: EventTally, page: readonly Selected[]): void {
  for (const e of page) {
    const undelivered = e.reason !== 'expired' && e.pending === 1;
    t.total++;
    t.byReason[e.reason]++;
    if (undelivered) t.undelivered++;
    if (t.listed.length < PRUNE_LISTED)
      t.listed.push({ id: e.id, group: e.group, type: e.type, reason: e.reason, undelivered });
  }
}
