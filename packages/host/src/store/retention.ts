/**
 * Retention: the one table of ledgers and their rules. Every table that grows with use is here, with
 * what it keeps, how long, the config field that sets it and its default — written once. `plan()` is
 * what `routerctl federation event prune --dry-run` shows; `prune(plan)` removes what it counted, in
 * transactions of at most PRUNE_CHUNK rows, yielding after each so the caller can hand the event loop
 * (and SQLite's writer lock) to other work in between. Knows SQL, nothing about config files or timers.
 */
import type { PrunedEvent } from '@routerd/host-wire';
import type { Database, Statement } from 'better-sqlite3';
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
/** Rows per transaction: the writer lock is never held for long. */
export const PRUNE_CHUNK = 5000;

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
}

const before = (c: RetentionCutoffs) => ({ before: c.now - c.ledgerMaxAgeMs, now: c.now });
const days = (ms: number) => `${ms / DAY_MS} days`;

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
  },
  {
    table: 'received_webhooks',
    keeps: 'the ids of received batches (replay protection)',
    rule: 'older than twice the longest replayWindow',
    setting: 'EventGroup.spec.replayWindow',
    where: 'received_ms <= @cutoff',
    params: (c) => ({ cutoff: c.now - 2 * c.replayWindowMs }),
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
  },
  {
    table: 'plugin_runs',
    keeps: 'one record per plugin run',
    rule: `older than ${days(d.ledgerMaxAgeMs)}; the oldest beyond the newest ${d.pluginRunsMax}`,
    setting: null,
    where: `started_ms < @before OR seq <= IFNULL((SELECT seq FROM plugin_runs ORDER BY seq DESC LIMIT 1 OFFSET @max), 0)`,
    params: (c) => ({ before: c.now - c.ledgerMaxAgeMs, max: c.pluginRunsMax }),
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
  },
];

export interface RetentionPlan {
  cutoffs: RetentionCutoffs;
  /** Events to delete, each with why. */
  events: PrunedEvent[];
  /** Rows each other ledger would lose now. */
  counts: Record<string, number>;
}

/** Rows removed, per table. */
export type PruneCounts = Record<string, number>;

export class RetentionStore {
  private readonly stmt: (sql: string) => Statement;

  constructor(private readonly db: Database) {
    this.stmt = statementCache(db);
  }

  /**
   * What a prune at these cutoffs removes, filled into `plan` (each ledger's count, then the events a
   * page at a time, oldest first). Yields after each page: reading a large events table does not hold
   * the event loop either.
   */
  *plan(plan: RetentionPlan): Generator<void, void, void> {
    for (const l of LEDGERS)
      plan.counts[l.table] = (
        this.stmt(`SELECT COUNT(*) AS n FROM ${l.table} WHERE ${l.where}`).get(l.params(plan.cutoffs)) as {
          n: number;
        }
      ).n;
    // Per group: expired beyond the grace, stored longer than maxAge, beyond the newest maxEvents; the
    // pending-delivery check inside the statement (no round trip per event). Keyset pages by seq: one pass.
    const page = this.stmt(`
      SELECT seq, id, type,
        CASE WHEN expires_at_ms IS NOT NULL AND expires_at_ms <= @expiredBefore THEN 'expired'
             WHEN stored_at_ms <= @storedBefore THEN 'max-age'
             ELSE 'max-events' END AS reason,
        EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.status = 'pending') AS pending
      FROM events
      WHERE seq > @after AND group_name = @group AND (
        (expires_at_ms IS NOT NULL AND expires_at_ms <= @expiredBefore)
        OR stored_at_ms <= @storedBefore
        OR seq <= @lastExcess)
      ORDER BY seq LIMIT ${PRUNE_CHUNK}`);
    const lastExcess = this.stmt(
      'SELECT seq FROM events WHERE group_name = ? ORDER BY seq DESC LIMIT 1 OFFSET ?',
    ).pluck();
    const c = plan.cutoffs;
    for (const g of c.groups) {
      const params = {
        group: g.group,
        expiredBefore: c.now - EXPIRED_GRACE_MS,
        storedBefore: c.now - g.maxAgeMs,
        lastExcess: (lastExcess.get(g.group, g.maxEvents) as number | undefined) ?? -1,
      };
      let after = -1;
      for (;;) {
        const rows = page.all({ ...params, after }) as {
          seq: number;
          id: string;
          type: string;
          reason: PrunedEvent['reason'];
          pending: number;
        }[];
        for (const r of rows)
          plan.events.push({
            id: r.id,
            group: g.group,
            type: r.type,
            reason: r.reason,
            undelivered: r.reason !== 'expired' && r.pending === 1,
          });
        if (rows.length < PRUNE_CHUNK) break;
        after = rows[rows.length - 1]!.seq;
        yield;
      }
    }
  }

  /**
   * Remove what the plan counted: each ledger by its rule at the plan's cutoffs, then the planned events
   * (with their remaining deliveries) — ledgers first, so what each removes is what the dry run counted.
   * Yields after every transaction; `removed` holds the rows removed so far, per table.
   */
  *prune(plan: RetentionPlan, removed: PruneCounts): Generator<void, void, void> {
    for (const l of LEDGERS) {
      removed[l.table] = 0;
      // Walk the table once by rowid, a chunk at a time: no chunk rescans what an earlier one passed.
      const chunk = this.stmt(`DELETE FROM ${l.table} WHERE rowid IN (
        SELECT rowid FROM ${l.table} WHERE rowid > @after AND (${l.where}) ORDER BY rowid LIMIT ${PRUNE_CHUNK})
        RETURNING rowid AS r`);
      const params = l.params(plan.cutoffs);
      let after = Number.MIN_SAFE_INTEGER;
      for (;;) {
        const rows = this.db.transaction(() => chunk.all({ ...params, after }) as { r: number }[])();
        removed[l.table]! += rows.length;
        if (rows.length) {
          after = rows.reduce((m, x) => Math.max(m, x.r), after);
          yield;
        }
        if (rows.length < PRUNE_CHUNK) break;
      }
    }
    // A chunk's ids as one JSON array: two statements per chunk, not two per event.
    const delDeliveries = this.stmt(
      'DELETE FROM deliveries WHERE event_id IN (SELECT value FROM json_each(?))',
    );
    const delEvents = this.stmt('DELETE FROM events WHERE id IN (SELECT value FROM json_each(?))');
    removed.events = 0;
    for (let i = 0; i < plan.events.length; i += PRUNE_CHUNK) {
      const ids = JSON.stringify(plan.events.slice(i, i + PRUNE_CHUNK).map((e) => e.id));
      this.db.transaction(() => {
        delDeliveries.run(ids);
        removed.events! += delEvents.run(ids).changes;
      })();
      yield;
    }
  }
}
