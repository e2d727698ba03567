/**
 * The subscription run ledger: one row per (subscription, event). A row is written when a committed
 * event matches; `succeeded` rows are never handed to the subscription again, across restarts.
 */
import type { SubscriptionRun, SubscriptionRunStatus, SubscriptionRunsQuery } from '@routerd/host-wire';
import type { Event } from '@routerd/plugin-sdk';
import type { Database, Statement } from 'better-sqlite3';
import { type EventRow, toEvent } from './events.js';
import type { Migration } from './migrations.js';
import { relaxedCommitter } from './relaxed-commit.js';
import { statementCache } from './statement-cache.js';
import { type Transact, transactionRunner } from './transactions.js';

export const subscriptionRunMigrations: Migration[] = [
  {
    version: 30,
    name: 'subscription_runs',
    up: `
      CREATE TABLE subscription_runs (
        subscription TEXT NOT NULL,
        event_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'expired')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        last_error TEXT,
        last_run_id TEXT,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (subscription, event_id)
      );
      CREATE INDEX subscription_runs_due ON subscription_runs (subscription, status, next_attempt_ms);
    `,
  },
];

/** A ledger row as stored; `list` maps it into the control API's SubscriptionRun. */
interface Row {
  subscription: string;
  event_id: string;
  status: SubscriptionRunStatus;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
  last_run_id: string | null;
  updated_ms: number;
}

/**
 * A run counts as one attempt of each of its rows, whichever of its marks gets there first: a quick run
 * is never marked running, a slow one is marked running and then with its outcome.
 */
const ATTEMPTS_WITH_RUN = 'attempts + (CASE WHEN last_run_id IS @runId THEN 0 ELSE 1 END)';
const COUNT_ATTEMPT = `attempts = ${ATTEMPTS_WITH_RUN}, last_run_id = @runId`;

export class SubscriptionRunStore {
  private readonly stmt: (sql: string) => Statement;
  /** Marks whose loss only runs the event again (see markRunning): committed without an fsync of their own. */
  private readonly relaxed: <T>(write: () => T) => T;
  private readonly transact: Transact;
  constructor(db: Database) {
    this.stmt = statementCache(db);
    this.transact = transactionRunner(db);
    this.relaxed = relaxedCommitter(db);
  }

  /** Record a match; false when the pair is already known (pending, running, or handled before). */
  admit(subscription: string, eventId: string, now: number): boolean {
    return (
      this.stmt(`
        INSERT INTO subscription_runs (subscription, event_id, status, next_attempt_ms, created_ms, updated_ms)
        VALUES (?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING`).run(subscription, eventId, now, now, now)
        .changes === 1
    );
  }

  /** Record several matches at once (a backfill); returns the ids that were new to the ledger. */
  admitAll(subscription: string, eventIds: readonly string[], now: number): string[] {
    return this.transact(() => eventIds.filter((id) => this.admit(subscription, id, now)));
  }

  /**
   * Live events of a group this subscription has no ledger row for, oldest first: what it never saw.
   * A cursor — read only as far as needed, and write nothing to the database until it is closed.
   */
  *unseenLiveEvents(subscription: string, group: string, now: number): Generator<Event> {
    const rows = this.stmt(`SELECT e.* FROM events e
      WHERE e.group_name = ? AND (e.expires_at_ms IS NULL OR e.expires_at_ms > ?)
        AND NOT EXISTS (SELECT 1 FROM subscription_runs r WHERE r.subscription = ? AND r.event_id = e.id)
      ORDER BY e.seq`).iterate(group, now, subscription) as IterableIterator<EventRow>;
    for (const row of rows) yield toEvent(row);
  }

  status(subscription: string, eventId: string): SubscriptionRunStatus | undefined {
    return (
      this.stmt('SELECT status FROM subscription_runs WHERE subscription = ? AND event_id = ?').get(
        subscription,
        eventId,
      ) as { status: SubscriptionRunStatus } | undefined
    )?.status;
  }

  /**
   * A run that is taking a while (see RUNNING_MARK_AFTER_MS in the engine): its rows say so while the
   * plugin works. Committed without an fsync of its own (synchronous=NORMAL): lost to a power cut, the rows
   * are still `pending` and run again at start, as `running` ones would.
   */
  markRunning(subscription: string, ids: readonly string[], runId: string, now: number): void {
    const s = this.stmt(`UPDATE subscription_runs SET status = 'running', ${COUNT_ATTEMPT}, updated_ms = @now
      WHERE subscription = @subscription AND event_id = @id`);
    this.relaxed(() => {
      for (const id of ids) s.run({ runId, now, subscription, id });
    });
  }

  /** The run's outcome; its attempt is counted here unless markRunning counted it. */
  markSucceeded(subscription: string, ids: readonly string[], runId: string, now: number): void {
    const s =
      this.stmt(`UPDATE subscription_runs SET status = 'succeeded', last_error = NULL, ${COUNT_ATTEMPT},
      updated_ms = @now WHERE subscription = @subscription AND event_id = @id`);
    this.transact(() => {
      for (const id of ids) s.run({ runId, now, subscription, id });
    });
  }

  markFailed(
    subscription: string,
    ids: readonly string[],
    runId: string,
    failure: { error: string; nextAttemptMs: number },
    now: number,
  ): void {
    const s = this.stmt(`UPDATE subscription_runs SET status = 'failed', last_error = @error,
      next_attempt_ms = @nextAttemptMs, ${COUNT_ATTEMPT}, updated_ms = @now
      WHERE subscription = @subscription AND event_id = @id`);
    this.transact(() => {
      for (const id of ids) s.run({ runId, ...failure, now, subscription, id });
    });
  }

  markExpired(subscription: string, ids: readonly string[], now: number): void {
    const s =
      this.stmt(`UPDATE subscription_runs SET status = 'expired', last_error = 'the event expired before it was handled', updated_ms = ?
      WHERE subscription = ? AND event_id = ? AND status != 'succeeded'`);
    this.transact(() => {
      for (const id of ids) s.run(now, subscription, id);
    });
  }

  /** Rows to (re)run now: pending ones, crashed `running` ones (after a restart), and failed ones whose time came. */
  due(subscription: string, now: number, includeRunning: boolean): { eventId: string; attempts: number }[] {
    return (
      this.stmt(`SELECT event_id, attempts FROM subscription_runs WHERE subscription = ?
        AND ((status = 'pending') OR (status = 'failed' AND next_attempt_ms <= ?) OR (? AND status = 'running'))
        ORDER BY created_ms`).all(subscription, now, includeRunning ? 1 : 0) as {
        event_id: string;
        attempts: number;
      }[]
    ).map((r) => ({ eventId: r.event_id, attempts: r.attempts }));
  }

  /**
   * The most attempts any of these rows will have had once run `runId` is counted (the batch backs off by
   * its most-tried member): the run counts once, whether or not it was marked running.
   */
  attemptsWith(subscription: string, ids: readonly string[], runId: string): number {
    let max = 0;
    const s = this.stmt(`SELECT ${ATTEMPTS_WITH_RUN} AS n
      FROM subscription_runs WHERE subscription = @subscription AND event_id = @id`);
    for (const id of ids)
      max = Math.max(max, (s.get({ runId, subscription, id }) as { n: number } | undefined)?.n ?? 0);
    return Math.max(1, max);
  }

  /** Failed rows due later than `at` are made due at `at` (a wall clock that stepped back); how many moved. */
  dueBy(subscription: string, at: number): number {
    return this.relaxed(
      () =>
        this.stmt(`UPDATE subscription_runs SET next_attempt_ms = @at
          WHERE subscription = @subscription AND status = 'failed' AND next_attempt_ms > @at`).run({
          at,
          subscription,
        }).changes,
    );
  }

  /** The next retry strictly after `now` (rows already due are queued by the caller, not waited for). */
  nextRetryMs(subscription: string, now: number): number | undefined {
    return (
      (
        this.stmt(
          `SELECT MIN(next_attempt_ms) AS t FROM subscription_runs WHERE subscription = ? AND status = 'failed' AND next_attempt_ms > ?`,
        ).get(subscription, now) as {
          t: number | null;
        }
      ).t ?? undefined
    );
  }

  /** `routerctl federation subscription retry`: failed (or expired-by-error) rows back to pending now. */
  retry(subscription: string, now: number, eventId?: string): string[] {
    const rows = this.stmt(
      `SELECT event_id FROM subscription_runs WHERE subscription = ? AND status = 'failed' AND (? IS NULL OR event_id = ?)`,
    ).all(subscription, eventId ?? null, eventId ?? null) as { event_id: string }[];
    const s = this.stmt(
      `UPDATE subscription_runs SET status = 'pending', next_attempt_ms = ?, updated_ms = ? WHERE subscription = ? AND event_id = ?`,
    );
    this.transact(() => {
      for (const r of rows) s.run(now, now, subscription, r.event_id);
    });
    return rows.map((r) => r.event_id);
  }

  list(filter: SubscriptionRunsQuery): SubscriptionRun[] {
    return (
      this.stmt(`SELECT * FROM subscription_runs WHERE (@sub IS NULL OR subscription = @sub) AND (@status IS NULL OR status = @status)
        ORDER BY updated_ms DESC LIMIT @limit`).all({
        sub: filter.subscription ?? null,
        status: filter.status ?? null,
        limit: filter.limit ?? 100,
      }) as Row[]
    ).map((r) => ({
      subscription: r.subscription,
      eventId: r.event_id,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.status === 'failed' ? new Date(r.next_attempt_ms).toISOString() : null,
      lastError: r.last_error,
      lastRunId: r.last_run_id,
      updatedAt: new Date(r.updated_ms).toISOString(),
    }));
  }
}
