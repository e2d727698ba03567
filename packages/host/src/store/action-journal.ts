/**
 * The `action_executions` table: the action journal, one row per execution of one ActionPlan with its
 * state machine, approver, and per-step records (docs/actions.md). Knows SQL and the record, nothing
 * about processes or policies. At most one unfinished execution per idempotency key (a partial unique
 * index): no plan runs twice at once.
 */
import {
  type ExecutionRecord,
  type ExecutionState,
  FINISHED_STATES,
  type StepRecord,
} from '@routerd/host-wire';
import type { ActionPlan, TraceContext } from '@routerd/plugin-sdk';
import type { Database } from 'better-sqlite3';
import { isoAt } from '../clock.js';
import type { Migration } from './migrations.js';
import { statementCache } from './statement-cache.js';
import { type Transact, transactionRunner } from './transactions.js';

const UNFINISHED = `('awaiting-approval', 'approved', 'running')`;

export const actionJournalMigrations: Migration[] = [
  {
    version: 50,
    name: 'action_executions',
    up: `
      CREATE TABLE action_executions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        idempotency_key TEXT NOT NULL,
        provider TEXT NOT NULL,
        action TEXT NOT NULL,
        phase TEXT NOT NULL,
        risk TEXT NOT NULL,
        nic TEXT NOT NULL,
        address TEXT,
        source TEXT NOT NULL,
        mode TEXT NOT NULL,
        state TEXT NOT NULL,
        step_index INTEGER,
        approved_by TEXT,
        approved_ms INTEGER,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        finished_ms INTEGER,
        reason TEXT,
        undo_of TEXT,
        steps TEXT NOT NULL DEFAULT '[]',
        plan TEXT NOT NULL
      );
      CREATE UNIQUE INDEX action_executions_one_unfinished ON action_executions (idempotency_key)
        WHERE state IN ${UNFINISHED};
      CREATE INDEX action_executions_state ON action_executions (state, seq);
    `,
  },
  {
    // The daemon asks, for every plan of the active parts at start and reload, whether it was ever
    // journaled; the unique index above holds unfinished rows only.
    version: 53,
    name: 'action_executions_by_key',
    up: 'CREATE INDEX action_executions_key ON action_executions (idempotency_key);',
  },
  {
    // Executions join the trace of the observation whose plugin run announced their plan (issue 21).
    version: 56,
    name: 'action_executions_trace',
    up: `
      ALTER TABLE action_executions ADD COLUMN traceparent TEXT;
      ALTER TABLE action_executions ADD COLUMN tracestate TEXT;
    `,
  },
];

interface Row {
  id: string;
  idempotency_key: string;
  provider: string;
  action: string;
  phase: ExecutionRecord['phase'];
  risk: ExecutionRecord['risk'];
  nic: string;
  address: string | null;
  source: string;
  mode: ExecutionRecord['mode'];
  state: ExecutionState;
  step_index: number | null;
  approved_by: string | null;
  approved_ms: number | null;
  created_ms: number;
  updated_ms: number;
  finished_ms: number | null;
  reason: string | null;
  undo_of: string | null;
  steps: string;
  plan: string;
  traceparent: string | null;
  tracestate: string | null;
}

const toRecord = (r: Row): ExecutionRecord => ({
  id: r.id,
  idempotencyKey: r.idempotency_key,
  provider: r.provider,
  action: r.action,
  phase: r.phase,
  risk: r.risk,
  nic: r.nic,
  address: r.address,
  source: r.source,
  mode: r.mode,
  state: r.state,
  stepIndex: r.step_index,
  approvedBy: r.approved_by,
  approvedAt: r.approved_ms === null ? null : isoAt(r.approved_ms),
  createdAt: isoAt(r.created_ms),
  updatedAt: isoAt(r.updated_ms),
  finishedAt: r.finished_ms === null ? null : isoAt(r.finished_ms),
  reason: r.reason,
  undoOf: r.undo_of,
  steps: JSON.parse(r.steps) as StepRecord[],
  plan: JSON.parse(r.plan) as ActionPlan,
  ...(r.traceparent === null ? {} : { traceparent: r.traceparent }),
  ...(r.tracestate === null ? {} : { tracestate: r.tracestate }),
});

export interface NewExecution {
  id: string;
  plan: ActionPlan;
  source: string;
  mode: ExecutionRecord['mode'];
  /** `approved` when the policy ran it by itself (approvedBy then names the rule), else `awaiting-approval`. */
  state: 'awaiting-approval' | 'approved';
  approvedBy?: string;
  undoOf?: string;
  /** Its own span in the trace of what caused it (childTraceContext of the cause). */
  trace?: TraceContext;
}

export class ActionJournal {
  private readonly stmt;

  private readonly transact: Transact;
  constructor(db: Database) {
    this.stmt = statementCache(db);
    this.transact = transactionRunner(db);
  }

  /**
   * Journal a new execution, or return the unfinished one of the same plan (idempotency key): a plan
   * submitted again while it waits or runs is the same execution, never a second one.
   */
  submit(e: NewExecution, now: number): { record: ExecutionRecord; created: boolean } {
    return this.transact(() => {
      const existing = this.stmt(
        `SELECT * FROM action_executions WHERE idempotency_key = ? AND state IN ${UNFINISHED}`,
      ).get(e.plan.idempotencyKey) as Row | undefined;
      if (existing) return { record: toRecord(existing), created: false };
      const p = e.plan;
      this.stmt(`INSERT INTO action_executions (id, idempotency_key, provider, action, phase, risk, nic,
          address, source, mode, state, approved_by, approved_ms, created_ms, updated_ms, undo_of, plan,
          traceparent, tracestate)
        VALUES (@id, @key, @provider, @action, @phase, @risk, @nic, @address, @source, @mode, @state,
          @approvedBy, @approvedMs, @now, @now, @undoOf, @plan, @traceparent, @tracestate)`).run({
        id: e.id,
        key: p.idempotencyKey,
        provider: p.provider,
        action: p.action,
        phase: p.phase ?? 'provision',
        risk: p.riskLevel,
        nic: p.target.nicRef,
        address: p.target.address ?? null,
        source: e.source,
        mode: e.mode,
        state: e.state,
        approvedBy: e.approvedBy ?? null,
        approvedMs: e.state === 'approved' ? now : null,
        now,
        undoOf: e.undoOf ?? null,
        plan: JSON.stringify(p),
        traceparent: e.trace?.traceparent ?? null,
        tracestate: e.trace?.tracestate ?? null,
      });
      return { record: this.get(e.id)!, created: true };
    });
  }

  get(id: string): ExecutionRecord | undefined {
    const row = this.stmt('SELECT * FROM action_executions WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  /** Newest first. */
  list(opts: { state?: ExecutionState; limit?: number } = {}): ExecutionRecord[] {
    const rows = this.stmt(
      'SELECT * FROM action_executions WHERE (@state IS NULL OR state = @state) ORDER BY seq DESC LIMIT @limit',
    ).all({ state: opts.state ?? null, limit: opts.limit ?? 1000 }) as Row[];
    return rows.map(toRecord);
  }

  /** Unfinished executions asked for by one source (a part), oldest first: what its release cancels. */
  unfinishedFrom(source: string): ExecutionRecord[] {
    const rows = this.stmt(
      `SELECT * FROM action_executions WHERE state IN ${UNFINISHED} AND source = ? ORDER BY seq`,
    ).all(source) as Row[];
    return rows.map(toRecord);
  }

  /** Whether any execution of this plan was ever journaled (and not yet removed by retention). */
  knows(idempotencyKey: string): boolean {
    return (
      this.stmt('SELECT 1 FROM action_executions WHERE idempotency_key = ? LIMIT 1').get(idempotencyKey) !==
      undefined
    );
  }

  /** Oldest first: what waits to run (approved) or was interrupted (running). */
  inState(state: ExecutionState): ExecutionRecord[] {
    const rows = this.stmt('SELECT * FROM action_executions WHERE state = ? ORDER BY seq').all(
      state,
    ) as Row[];
    return rows.map(toRecord);
  }

  /**
   * Move an execution from one of `from` to `to`. False when it is no longer in one of `from` (someone
   * else moved it first): every transition is a compare-and-set, so approve, reject and run cannot race.
   */
  /**
   * An execution's end and what it ends elsewhere, in one commit: an undo that succeeded and the
   * original it undid change together, so neither a reader nor a crash finds one without the other.
   */
  finish(
    id: string,
    to: ExecutionState,
    now: number,
    reason: string | undefined,
  ): { finished: boolean; undid?: string } {
    return this.transact(() => {
      if (!this.transition(id, ['approved', 'running'], to, now, reason ? { reason } : {}))
        return { finished: false };
      const undoOf = (
        this.stmt('SELECT undo_of FROM action_executions WHERE id = ?').get(id) as { undo_of: string | null }
      ).undo_of;
      const undid =
        undoOf !== null &&
        (to === 'succeeded' || to === 'already-done') &&
        this.transition(undoOf, ['succeeded', 'already-done'], 'undone', now, {
          reason: `undone by execution ${id}`,
        });
      return undid ? { finished: true, undid: undoOf! } : { finished: true };
    });
  }

  transition(
    id: string,
    from: readonly ExecutionState[],
    to: ExecutionState,
    now: number,
    extra: { reason?: string; approvedBy?: string; stepIndex?: number } = {},
  ): boolean {
    const finished = FINISHED_STATES.includes(to);
    const res = this.stmt(`UPDATE action_executions SET state = @to, updated_ms = @now,
        finished_ms = CASE WHEN @finished THEN @now ELSE finished_ms END,
        reason = COALESCE(@reason, reason),
        approved_by = COALESCE(@approvedBy, approved_by),
        approved_ms = CASE WHEN @approvedBy IS NULL THEN approved_ms ELSE @now END,
        step_index = COALESCE(@stepIndex, step_index)
      WHERE id = @id AND state IN (SELECT value FROM json_each(@from))`).run({
      id,
      to,
      now,
      finished: finished ? 1 : 0,
      reason: extra.reason ?? null,
      approvedBy: extra.approvedBy ?? null,
      stepIndex: extra.stepIndex ?? null,
      from: JSON.stringify(from),
    });
    return res.changes === 1;
  }

  /** Record one step attempt and the step now running. Written before the next step starts. */
  recordStep(id: string, stepIndex: number, step: StepRecord, now: number): void {
    this.stmt(`UPDATE action_executions SET steps = json_insert(steps, '$[#]', json(@step)),
        step_index = @stepIndex, updated_ms = @now WHERE id = @id`).run({
      id,
      stepIndex,
      now,
      step: JSON.stringify(step),
    });
  }

  /** Mark the step about to start: a crash from here on leaves `running` at this index. */
  startStep(id: string, stepIndex: number, now: number): void {
    this.stmt('UPDATE action_executions SET step_index = ?, updated_ms = ? WHERE id = ?').run(
      stepIndex,
      now,
      id,
    );
  }
}
