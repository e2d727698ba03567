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
import { OffLoopCheckpoints } from '../store/checkpointer.js';
import {
  EVENTS_LEDGER,
  type EventTally,
  emptyTally,
  LEDGERS,
  PRUNE_CHUNK,
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

/** What a prune removed: rows per table, and the events among them (how many, why, the first few). */
export interface PruneOutcome {
  rows: PruneCounts;
  events: EventTally;
}

const isPlan = (of: RetentionPlan | PruneCounts): of is RetentionPlan => 'cutoffs' in of;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Retention {
  private readonly store: RetentionStore;
  private timer: TimerHandle | undefined;
  /** The plan or prune in progress: they run one at a time, and stop() waits for the one running. */
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

  /** What a prune would remove now (the dry run), counted a window and a page at a time. */
  plan(): Promise<RetentionPlan> {
    return this.queue(async () => {
      const plan = await this.bounded();
      await this.drive(this.store.count(plan));
      return plan;
    });
  }

  /** The cutoffs at this instant and the events' bounds at it: a plan with nothing counted yet. */
  private async bounded(): Promise<RetentionPlan> {
    const plan: RetentionPlan = {
      cutoffs: this.cutoffs(),
      bounds: { maxSeq: 0, lastExcess: {} },
      events: emptyTally(),
      counts: {},
    };
    await this.drive(this.store.bounds(plan.cutoffs, plan.bounds));
    return plan;
  }

  /** Run a store's steps, one per turn of the event loop, until done or stop() (the database closes after it). */
  private async drive(steps: Generator<void, void, void>, afterStep = () => {}): Promise<void> {
    while (!this.stopped) {
      if (steps.next().done) return;
      afterStep();
      await nextTurn();
    }
    steps.return();
  }

  /** Plans and prunes one at a time: a dry run never counts a table a prune is halfway through. */
  private queue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.running.then(work);
    this.running = run.catch(() => {});
    return run;
  }

  /** The table of ledgers with, per ledger, the rows a plan counts or a prune removed. */
  ledgers(of: RetentionPlan | PruneCounts): RetainedLedger[] {
    const counted: PruneCounts = isPlan(of) ? { ...of.counts, events: of.events.total } : of;
    const rows = (table: string) => counted[table] ?? 0;
    return [EVENTS_LEDGER, ...LEDGERS].map((l) => ({
      ledger: l.table,
      keeps: l.keeps,
      rule: l.rule,
      setting: l.setting,
      rows: rows(l.table),
    }));
  }

  /**
   * Remove what a plan selects — the one given (a dry run's cutoffs and bounds), or one fixed now —
   * after any plan or prune already running.
   */
  prune(plan?: RetentionPlan): Promise<PruneOutcome> {
    return this.queue(async () => this.pruneNow(plan ?? (await this.bounded())));
  }

  private async pruneNow(plan: RetentionPlan): Promise<PruneOutcome> {
    const rows: PruneCounts = {};
    const events = emptyTally();
    // A prune of more than a chunk is a long run of writes: checkpoint it off the event loop.
    let checkpoints: OffLoopCheckpoints | undefined;
    const afterStep = () => {
      if (!checkpoints && Object.values(rows).reduce((a, b) => a + b, 0) > PRUNE_CHUNK)
        checkpoints = OffLoopCheckpoints.start(this.o.db, (err) =>
          this.o.log('warn', 'retention: checkpoints back on the event loop', errorFields(err)),
        );
      checkpoints?.written();
    };
    try {
      await this.drive(this.store.prune(plan, rows, events), afterStep);
    } finally {
      await checkpoints?.stop();
      // Counted even when a chunk failed: what was removed before it stays removed.
      for (const [table, n] of Object.entries(rows)) if (n) this.o.metrics.pruned.inc({ table }, n);
      if (events.undelivered) {
        this.o.metrics.prunedUndelivered.inc(events.undelivered);
        this.o.log('warn', 'retention removed events that were never delivered', {
          count: events.undelivered,
        });
      }
    }
    return { rows, events };
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
