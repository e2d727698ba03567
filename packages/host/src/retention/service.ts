/**
 * The one retention mechanism: one timer prunes every ledger of store/retention.ts's table, by the
 * bounds the config sets (or their defaults), a chunk per transaction, handing the event loop back
 * between chunks so deliveries, receipts and control requests keep flowing during a large prune.
 */
import type { RetainedLedger } from '@routerd/host-wire';
import { parseDuration } from '@routerd/plugin-sdk';
import type { Database } from 'better-sqlite3';
import { errorFields } from '../background.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { FederationConfig } from '../config/index.js';
import type { Metrics } from '../metrics.js';
import {
  EVENTS_LEDGER,
  LEDGERS,
  type PruneCounts,
  RETENTION_DEFAULTS,
  type RetentionCutoffs,
  type RetentionPlan,
  RetentionStore,
} from '../store/retention.js';

/** How often the timer prunes. */
export const RETENTION_EVERY_MS = 60_000;

export interface RetentionOptions {
  db: Database;
  config: () => FederationConfig;
  clock: Clock;
  metrics: Metrics;
  log: (level: 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  everyMs?: number;
}

/** What a prune removed: rows per table, and how many of the events had never been delivered. */
export interface PruneOutcome {
  rows: PruneCounts;
  undelivered: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Retention {
  private readonly store: RetentionStore;
  private timer: TimerHandle | undefined;
  /** The prune in progress: prunes run one at a time, and stop() waits for the one running. */
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: RetentionOptions) {
    this.store = new RetentionStore(o.db);
  }

  /** Every bound, from the config in force and the defaults, at this instant. */
  cutoffs(): RetentionCutoffs {
    const config = this.o.config();
    return {
      now: this.o.clock.now(),
      groups: config.groups.map(({ resource: g }) => ({
        group: g.metadata.name,
        maxAgeMs: parseDuration(g.spec.retention.maxAge),
        maxEvents: g.spec.retention.maxEvents,
      })),
      replayWindowMs: Math.max(0, ...config.groups.map((g) => parseDuration(g.resource.spec.replayWindow))),
      peers: config.peers.map((p) => p.resource.metadata.name),
      ledgerMaxAgeMs: RETENTION_DEFAULTS.ledgerMaxAgeMs,
      pluginRunsMax: RETENTION_DEFAULTS.pluginRunsMax,
    };
  }

  /** What a prune would remove now (the dry run), read a page at a time. */
  async plan(): Promise<RetentionPlan> {
    const plan: RetentionPlan = { cutoffs: this.cutoffs(), events: [], counts: {} };
    for (const _ of this.store.plan(plan)) {
      if (this.stopped) break; // shutting down: the database closes after stop()
      await nextTurn();
    }
    return plan;
  }

  /** The table of ledgers with, per ledger, the rows the plan counts (or the prune removed). */
  ledgers(plan: RetentionPlan, removed?: PruneCounts): RetainedLedger[] {
    const rows = (table: string) =>
      removed ? (removed[table] ?? 0) : table === 'events' ? plan.events.length : (plan.counts[table] ?? 0);
    return [EVENTS_LEDGER, ...LEDGERS].map((l) => ({
      ledger: l.table,
      keeps: l.keeps,
      rule: l.rule,
      setting: l.setting,
      rows: rows(l.table),
    }));
  }

  /** Remove what the plan counted, after any prune already running. */
  prune(plan?: RetentionPlan): Promise<PruneOutcome> {
    const run = this.running.then(async () => this.pruneNow(plan ?? (await this.plan())));
    this.running = run.catch(() => {});
    return run;
  }

  private async pruneNow(plan: RetentionPlan): Promise<PruneOutcome> {
    const rows: PruneCounts = {};
    for (const _ of this.store.prune(plan, rows)) {
      if (this.stopped) break;
      await nextTurn();
    }
    for (const [table, n] of Object.entries(rows)) if (n) this.o.metrics.pruned.inc({ table }, n);
    const undelivered = plan.events.filter((e) => e.undelivered).length;
    if (undelivered) {
      this.o.metrics.prunedUndelivered.inc(undelivered);
      this.o.log('warn', 'retention removed events that were never delivered', { count: undelivered });
    }
    return { rows, undelivered };
  }

  /** Prune now, then every `everyMs` after the previous prune ended. */
  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  private arm(delayMs: number): void {
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      // A refused write (a full disk) must not end the daemon: logged, and tried again on the next tick.
      this.prune()
        .catch((err: unknown) =>
          this.o.log('error', 'retention prune failed: tried again later', errorFields(err)),
        )
        .finally(() => {
          if (!this.stopped) this.arm(this.o.everyMs ?? RETENTION_EVERY_MS);
        });
    }, delayMs);
  }

  /** Stop the timer and wait for a prune in progress to reach the end of its current chunk. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.o.clock.clear(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
