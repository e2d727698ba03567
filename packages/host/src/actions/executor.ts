/**
 * The action executor (docs/actions.md): runs the declarative ActionPlans that provider plugins produce —
 * steps as argv without a shell, each read through its own outcome patterns — under the operator's
 * ActionPolicy, journaling every transition and step before the next one starts. Generic: nothing here
 * knows a provider; the policy names the tool's path and environment.
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionRecord, StepRecord } from '@routerd/host-wire';
import {
  type ActionPlan,
  childTraceContext,
  type PlanStep,
  parseDuration,
  type TraceContext,
  traceContextOf,
} from '@routerd/plugin-sdk';
import { classifyStepOutcome, resolveArgv, type StepOutcome } from '@routerd/plugin-sdk/domain';
import { type Clock, isoAt, type TimerHandle } from '../clock.js';
import type { ActionPolicy } from '../config/schemas.js';
import type { Metrics } from '../metrics.js';
import type { ActionJournal } from '../store/action-journal.js';
import { undoPlanOf } from '../undo-plan.js';
import { childEnv, decideMode, type PolicySpec, toolPath, withEndpoint } from './policy.js';
import { TokenBucket } from './rate-limit.js';
import { priorValueRefusal, readOnlyCheckIndex } from './read-only-check.js';
import { redactCredentials, tail } from './redact.js';
import { type ArgvExit, runArgv } from './run-argv.js';

/** Output kept per step attempt in the journal. */
export const STEP_TAIL_BYTES = 4096;
/** A step without its own timeoutSeconds. */
const DEFAULT_STEP_TIMEOUT_MS = 60_000;

type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
type Finished = Exclude<ExecutionRecord['state'], 'awaiting-approval' | 'approved' | 'running'>;

export interface ActionExecutorOptions {
  journal: ActionJournal;
  clock: Clock;
  /** The ActionPolicies in force, by name (= the provider they govern); read at every decision. */
  policies: () => ReadonlyMap<string, ActionPolicy>;
  log: Log;
  /** Told of every finished execution: where the `routerd.provider.action.*` events will come from. */
  onFinished?: (record: ExecutionRecord) => void;
  /** Executions by outcome, step durations (the daemon's /metrics). */
  metrics?: Pick<Metrics, 'actionExecutions' | 'actionStepDuration'>;
  /**
   * When the basis of what `source` names lapses (a DynamicConfigPart's TTL; 0 when it is gone), or
   * undefined when it never does. A provision plan not started by then is cancelled: its observation
   * is no longer held. A teardown never lapses — what routerd put in a cloud must still be taken back.
   */
  basisExpiresAt?: (source: string) => number | undefined;
  /** The tools' HOME (where a named profile lives); default the daemon's. */
  home?: string;
  newId?: () => string;
}

export class ExecutionRefused extends Error {
  override name = 'ExecutionRefused';
}

/** The daemon is stopping: the execution stays as journaled (`running` at its step) for start() to recover. */
class Interrupted extends Error {
  override name = 'Interrupted';
}

export class ActionExecutor {
  private readonly buckets = new Map<string, TokenBucket>();
  /** `provider|nic` of each running execution: one at a time per target NIC. */
  private readonly busyNics = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, ((r: ExecutionRecord) => void)[]>();
  private wakeTimer: TimerHandle | undefined;
  private stopped = false;
  /** Kills the tools still running when the daemon stops, and wakes every backoff and verify wait. */
  private readonly stopping = new AbortController();

  constructor(private readonly o: ActionExecutorOptions) {}

  /** Journal a plan: auto plans start when the rate limit and their NIC allow; manual plans wait for approve(). */
  /** `cause`: the trace context of what announced the plan; the execution is its child. */
  submit(plan: ActionPlan, source: string, undoOf?: string, cause?: TraceContext): ExecutionRecord {
    const decision = decideMode(this.o.policies().get(plan.provider), plan);
    const { record, created } = this.o.journal.submit(
      {
        id: this.o.newId?.() ?? randomUUID(),
        plan,
        source,
        mode: decision.mode,
        state: decision.mode === 'auto' ? 'approved' : 'awaiting-approval',
        ...(decision.mode === 'auto' ? { approvedBy: decision.by } : {}),
        ...(undoOf ? { undoOf } : {}),
        ...(cause ? { trace: childTraceContext(cause) } : {}),
      },
      this.o.clock.now(),
    );
    if (created)
      this.o.log('info', 'action plan journaled', { id: record.id, state: record.state, by: decision.by });
    this.pump();
    return record;
  }

  approve(id: string, approver: string): ExecutionRecord {
    const lapsed = this.lapsed(this.o.journal.get(id));
    if (lapsed) {
      this.cancel(id, lapsed);
      throw new ExecutionRefused(`execution ${id} was cancelled instead: ${lapsed}`);
    }
    this.move(id, ['awaiting-approval'], 'approved', { approvedBy: approver });
    this.pump();
    return this.o.journal.get(id)!;
  }

  reject(id: string, approver: string): ExecutionRecord {
    this.move(id, ['awaiting-approval', 'approved'], 'cancelled', { reason: `rejected by ${approver}` });
    return this.finish(id);
  }

  /**
   * `routerctl action undo ID`: the plan's undo (the release plan of an assign; for forwarding, the prior
   * value, only when the journal recorded it) as an execution of its own, approved by the person who
   * asked; when it succeeds the original is marked `undone`.
   */
  undo(id: string, by: string): ExecutionRecord {
    const original = this.o.journal.get(id);
    if (!original) throw new ExecutionRefused(`no execution ${id}`);
    if (original.state !== 'succeeded' && original.state !== 'already-done')
      throw new ExecutionRefused(
        `execution ${id} is ${original.state}: only a succeeded or already-done execution can be undone`,
      );
    const plan = undoPlanOf(original.plan);
    if (!plan) throw new ExecutionRefused(`the plan of execution ${id} (${original.plan.name}) has no undo`);
    const refusal = priorValueRefusal(original);
    if (refusal) throw new ExecutionRefused(refusal);
    // An undo continues the trace of what it undoes.
    const submitted = this.submit(plan, `undo of ${id} by ${by}`, id, traceContextOf(original));
    if (submitted.state !== 'awaiting-approval') return submitted;
    return this.approve(submitted.id, by);
  }

  /** A plan whose part was released or superseded before it ran: cancelled, never run. */
  cancel(id: string, reason: string): boolean {
    const ok = this.o.journal.transition(
      id,
      ['awaiting-approval', 'approved'],
      'cancelled',
      this.o.clock.now(),
      {
        reason,
      },
    );
    if (ok) this.finish(id);
    return ok;
  }

  /** Resolves when the execution reaches a finished state (at once if it already has). */
  whenFinished(id: string): Promise<ExecutionRecord> {
    const r = this.o.journal.get(id);
    if (!r) return Promise.reject(new ExecutionRefused(`no execution ${id}`));
    if (!['awaiting-approval', 'approved', 'running'].includes(r.state)) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  /**
   * Start: every execution the journal shows `running` was interrupted (the daemon died mid-step). It is
   * never re-run blindly: its plan's read-only check decides (see recover), then approved ones start.
   */
  start(): void {
    for (const r of this.o.journal.inState('running')) this.launch(r, () => this.recover(r));
    this.pump();
  }

  /**
   * Stop: nothing new starts, running tools are killed, and what was running stays `running` in the
   * journal — the next start() recovers it through the read-only check, as after a crash.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.o.clock.clear(this.wakeTimer);
    await Promise.allSettled([...this.running.values()]);
  }

  private move(
    id: string,
    from: ExecutionRecord['state'][],
    to: ExecutionRecord['state'],
    extra: { reason?: string; approvedBy?: string; stepIndex?: number } = {},
  ): void {
    if (!this.o.journal.transition(id, from, to, this.o.clock.now(), extra)) {
      const r = this.o.journal.get(id);
      throw new ExecutionRefused(
        r ? `execution ${id} is ${r.state}, not ${from.join(' or ')}` : `no execution ${id}`,
      );
    }
  }

  /** After an execution's end committed (`undid`: the original its success marked undone with it). */
  private finish(id: string, undid?: string): ExecutionRecord {
    const r = this.o.journal.get(id)!;
    this.o.metrics?.actionExecutions.inc({ provider: r.provider, action: r.action, outcome: r.state });
    if (undid)
      this.o.metrics?.actionExecutions.inc({
        provider: r.provider,
        action: this.o.journal.get(undid)!.action,
        outcome: 'undone',
      });
    this.o.onFinished?.(r);
    for (const w of this.waiters.get(id) ?? []) w(r);
    this.waiters.delete(id);
    return r;
  }

  /** After a config reload: the policies may have changed (an `auto` rule turned off sends queued executions back). */
  reconsider(): void {
    this.pump();
  }

  /** Start every approved execution that its NIC and its provider's rate limit allow; wake later for the rest. */
  private pump(): void {
    if (this.stopped) return;
    this.o.clock.clear(this.wakeTimer);
    this.wakeTimer = undefined;
    let wakeIn = Number.POSITIVE_INFINITY;
    const now = this.o.clock.now();
    const approved = this.o.journal.inState('approved');
    // Unstarted provision plans whose basis lapsed are cancelled; the others are woken for at the lapse.
    const lapsed = new Set<string>();
    for (const r of [...this.o.journal.inState('awaiting-approval'), ...approved]) {
      const at = this.lapsesAt(r);
      if (at === undefined || this.running.has(r.id)) continue;
      if (at <= now && this.cancel(r.id, lapseReason(r, at))) lapsed.add(r.id);
      else if (at > now) wakeIn = Math.min(wakeIn, at - now);
    }
    for (const r of approved) {
      if (lapsed.has(r.id) || this.running.has(r.id) || this.busyNics.has(nicKey(r))) continue;
      const policy = this.o.policies().get(r.provider);
      if (!policy) {
        this.end(r.id, 'failed', `no ActionPolicy/${r.provider}: nothing of provider ${r.provider} may run`);
        continue;
      }
      // A reload that turned auto off sends what the policy approved back to wait for a person.
      if (r.mode === 'auto' && r.approvedBy?.startsWith('ActionPolicy/')) {
        const now = decideMode(policy, r.plan);
        if (now.mode !== 'auto') {
          this.o.journal.transition(r.id, ['approved'], 'awaiting-approval', this.o.clock.now(), {
            reason: `the policy no longer runs it by itself (${now.by})`,
          });
          continue;
        }
      }
      const wait = this.bucket(policy).take();
      if (wait > 0) {
        wakeIn = Math.min(wakeIn, wait);
        continue;
      }
      this.launch(r, () => this.execute(r, policy.spec, 0));
    }
    if (Number.isFinite(wakeIn)) this.wakeTimer = this.o.clock.setTimeout(() => this.pump(), wakeIn);
  }

  /** When an unstarted execution's basis lapses; undefined for a teardown or a source that never lapses. */
  private lapsesAt(r: ExecutionRecord): number | undefined {
    return r.phase === 'teardown' ? undefined : this.o.basisExpiresAt?.(r.source);
  }

  /** Why an unstarted execution may no longer start, or undefined. */
  private lapsed(r: ExecutionRecord | undefined): string | undefined {
    const unstarted = r?.state === 'awaiting-approval' || r?.state === 'approved';
    const at = unstarted ? this.lapsesAt(r!) : undefined;
    return at === undefined || at > this.o.clock.now() ? undefined : lapseReason(r!, at);
  }

  private bucket(policy: ActionPolicy): TokenBucket {
    const key = `${policy.metadata.name}|${policy.spec.rateLimit.perMinute}|${policy.spec.rateLimit.burst}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.o.clock, policy.spec.rateLimit.perMinute, policy.spec.rateLimit.burst);
      this.buckets.set(key, b);
    }
    return b;
  }

  private launch(r: ExecutionRecord, body: () => Promise<void>): void {
    this.busyNics.add(nicKey(r));
    const p = body()
      .catch((err: unknown) => {
        if (err instanceof Interrupted)
          return this.o.log('info', 'action execution interrupted by the stop: recovered at the next start', {
            id: r.id,
          });
        this.o.log('error', 'action execution failed unexpectedly', { id: r.id, error: String(err) });
        this.end(r.id, 'failed', `internal error: ${(err as Error).message}`);
      })
      .finally(() => {
        this.running.delete(r.id);
        this.busyNics.delete(nicKey(r));
        this.pump();
      });
    this.running.set(r.id, p);
  }

  private end(id: string, state: Finished, reason?: string): void {
    const { finished, undid } = this.o.journal.finish(id, state, this.o.clock.now(), reason);
    if (finished) this.finish(id, undid);
  }

  /** Run the plan's steps from `from`, then verify. The row is `running` from here until it ends. */
  private async execute(r: ExecutionRecord, policy: PolicySpec, from: number): Promise<void> {
    if (
      r.state === 'approved' &&
      !this.o.journal.transition(r.id, ['approved'], 'running', this.o.clock.now())
    )
      return; // cancelled or rejected meanwhile
    const steps = r.plan.steps;
    const outputs = new Map<string, string>();
    for (let i = from; i < steps.length; i++) {
      const step = steps[i]!;
      const run = await this.runStep(r, policy, step, i, outputs);
      if (run.outcome === 'succeeded') {
        outputs.set(step.id, run.stdout);
        continue;
      }
      if (run.outcome === 'already-done')
        return this.end(r.id, 'already-done', `step ${step.id}: already done`);
      if (run.outcome === 'held-elsewhere')
        return this.end(r.id, 'held-elsewhere', `step ${step.id}: held by another NIC; not seized`);
      return this.end(r.id, 'failed', `step ${step.id}: ${run.reason}`);
    }
    const verified = await this.verify(r, policy);
    this.end(r.id, verified.ok ? 'succeeded' : 'failed', verified.reason);
  }

  /**
   * An execution found `running` at start. Its plan's read-only check (the first step that mutates
   * nothing and can tell "already done") asks the cloud: done → succeeded; held elsewhere → stop;
   * not done → the plan runs again from the top, which is safe because the check comes first. A plan
   * without such a check, interrupted in a mutating step, is failed for a person to look at.
   */
  private async recover(r: ExecutionRecord): Promise<void> {
    const policy = this.o.policies().get(r.provider);
    if (!policy)
      return this.end(r.id, 'failed', `interrupted; no ActionPolicy/${r.provider} to recover it with`);
    const checkIndex = readOnlyCheckIndex(r.plan);
    const interrupted = r.plan.steps[r.stepIndex ?? 0];
    if (checkIndex < 0) {
      if (interrupted?.mutating)
        return this.end(
          r.id,
          'failed',
          `interrupted in the mutating step ${interrupted.id}, and the plan has no read-only check to learn its effect: check the cloud, then undo or submit again`,
        );
      return this.execute(r, policy.spec, 0);
    }
    this.o.log('warn', 'resuming an interrupted action execution with its read-only check', { id: r.id });
    const check = await this.runStep(r, policy.spec, r.plan.steps[checkIndex]!, checkIndex, new Map());
    if (check.outcome === 'already-done') {
      const v = await this.verify(r, policy.spec);
      return this.end(
        r.id,
        v.ok ? 'succeeded' : 'failed',
        `recovered after an interruption: ${v.reason ?? 'the cloud shows the effect'}`,
      );
    }
    if (check.outcome === 'held-elsewhere')
      return this.end(r.id, 'held-elsewhere', 'recovered: held by another NIC');
    if (check.outcome !== 'succeeded') return this.end(r.id, 'failed', `recovery check: ${check.reason}`);
    return this.execute(r, policy.spec, 0);
  }

  /** Poll the plan's read-only check until it reads `already-done` or verify.timeout passes. */
  private async verify(r: ExecutionRecord, policy: PolicySpec): Promise<{ ok: boolean; reason?: string }> {
    const checkIndex = readOnlyCheckIndex(r.plan);
    if (checkIndex < 0) return { ok: true, reason: 'not verified: the plan has no read-only check' };
    const check = { ...r.plan.steps[checkIndex]!, id: `verify:${r.plan.steps[checkIndex]!.id}` };
    const deadline = this.o.clock.now() + parseDuration(policy.verify.timeout);
    for (;;) {
      const run = await this.runStep(r, policy, check, r.plan.steps.length, new Map());
      if (run.outcome === 'already-done') return { ok: true };
      if (run.outcome === 'held-elsewhere') return { ok: false, reason: 'verify: held by another NIC' };
      if (this.o.clock.now() >= deadline)
        return {
          ok: false,
          reason: `verify: the cloud did not show the effect within ${policy.verify.timeout}`,
        };
      await this.sleep(parseDuration(policy.verify.interval));
    }
  }

  /** One step with its retries (backoff on the one clock), each attempt journaled before the next starts. */
  private async runStep(
    r: ExecutionRecord,
    policy: PolicySpec,
    step: PlanStep,
    index: number,
    outputs: ReadonlyMap<string, string>,
  ): Promise<{ outcome: StepOutcome | 'timeout'; stdout: string; reason: string }> {
    let argv: string[];
    let path: string;
    try {
      argv = withEndpoint(policy, resolveArgv(step.argv, outputs));
      path = toolPath(policy, step.tool, r.provider);
    } catch (err) {
      // A tool the policy does not name, or an argv referring to a step that printed nothing: never run.
      return { outcome: 'failed', stdout: '', reason: (err as Error).message };
    }
    const env = childEnv(policy, this.o.home ?? process.env.HOME);
    const timeoutMs = (step.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_MS / 1000) * 1000;
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) throw new Interrupted();
      this.o.journal.startStep(r.id, index, this.o.clock.now());
      const started = this.o.clock.now();
      const exit = await runArgv(path, argv, env, timeoutMs, this.stopping.signal);
      // Killed by the stop: neither its outcome nor a retry is decided now; recovery reads the cloud.
      if (this.stopped) throw new Interrupted();
      const outcome = exit.timedOut ? 'timeout' : classifyStepOutcome(step, exit);
      this.o.metrics?.actionStepDuration.observe(
        { provider: r.provider, step: step.id, outcome },
        (this.o.clock.now() - started) / 1000,
      );
      this.o.journal.recordStep(
        r.id,
        index,
        stepRecord(step.id, attempt, argv, exit, outcome, started, this.o.clock.now()),
        this.o.clock.now(),
      );
      if (outcome === 'retry' && attempt < policy.retry.attempts) {
        const base = parseDuration(policy.retry.baseDelay);
        await this.sleep(Math.min(parseDuration(policy.retry.maxDelay), base * 2 ** (attempt - 1)));
        continue;
      }
      const why =
        outcome === 'timeout'
          ? `timed out after ${timeoutMs / 1000} s`
          : outcome === 'retry'
            ? `still transient after ${attempt} attempts (exit ${exit.exitCode}): ${lastLine(exit.stderr)}`
            : `${outcome} (exit ${exit.exitCode}): ${lastLine(exit.stderr)}`;
      return { outcome, stdout: exit.stdout, reason: redactCredentials(why) };
    }
  }

  /** A wait on the one clock that the stop cuts short (the caller then finds `stopped`). */
  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const { clock } = this.o;
    const signal = this.stopping.signal;
    return new Promise<void>((resolve) => {
      const wake = () => {
        clock.clear(timer);
        resolve();
      };
      const timer = clock.setTimeout(() => {
        signal.removeEventListener('abort', wake);
        resolve();
      }, ms);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}

const nicKey = (r: Pick<ExecutionRecord, 'provider' | 'nic'>) => `${r.provider}|${r.nic}`;

/** The plan's read-only check: the first step that mutates nothing and has an `alreadyDone` pattern. */
function stepRecord(
  step: string,
  attempt: number,
  argv: string[],
  exit: ArgvExit,
  outcome: string,
  started: number,
  ended: number,
): StepRecord {
  return {
    step,
    attempt,
    argv: argv.map(redactCredentials),
    exitCode: exit.exitCode,
    outcome,
    startedAt: isoAt(started),
    durationMs: Math.max(0, ended - started),
    stdoutTail: tail(redactCredentials(exit.stdout), STEP_TAIL_BYTES),
    stderrTail: tail(redactCredentials(exit.stderr), STEP_TAIL_BYTES),
  };
}

const lastLine = (text: string) => text.trim().split('\n').at(-1)?.slice(0, 300) ?? '';

/** The cancellation's reason for an execution whose basis lapsed at `at` (0: the basis is gone). */
function lapseReason(r: ExecutionRecord, at: number): string {
  return at === 0
    ? `its basis ${r.source} is gone before it ran`
    : `its basis ${r.source} expired at ${isoAt(at)} before it ran`;
}
