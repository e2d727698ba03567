// The action journal's records (docs/actions.md): one execution of one ActionPlan, as the host's journal
// keeps it and `routerctl action list|journal` will show it.
import { ActionPlan, EventTypes } from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { lazyType } from './lazy-type.js';
import { LimitParam } from './query.js';

/**
 * awaiting-approval → approved → running (step N) → succeeded | already-done | held-elsewhere | failed,
 * or cancelled before it ran; `undone` once its undo succeeded.
 */
export const ExecutionState = lazyType(() =>
  type(
    "'awaiting-approval' | 'approved' | 'running' | 'succeeded' | 'already-done' | 'held-elsewhere' | 'failed' | 'cancelled' | 'undone'",
  ),
);
export type ExecutionState = typeof ExecutionState.infer;
/** States an execution never leaves (but for `undone`, reached from a finished one by its undo). */
export const FINISHED_STATES: readonly ExecutionState[] = [
  'succeeded',
  'already-done',
  'held-elsewhere',
  'failed',
  'cancelled',
  'undone',
];

/** One attempt of one step (or of the verify check): exit, duration, bounded output tails, credentials redacted. */
export const StepRecord = lazyType(() =>
  type({
    step: 'string',
    attempt: 'number.integer >= 1',
    /** The argv as run, step output references resolved (no credential is ever in an argv: the policy refuses them). */
    argv: 'string[]',
    exitCode: 'number.integer',
    /** What the plan's patterns made of it: succeeded, already-done, held-elsewhere, retry, refused, failed, timeout. */
    outcome: 'string',
    startedAt: 'string',
    durationMs: 'number >= 0',
    stdoutTail: 'string',
    stderrTail: 'string',
  }),
);
export type StepRecord = typeof StepRecord.infer;

export const ExecutionRecord = lazyType(() =>
  type({
    id: 'string',
    idempotencyKey: 'string',
    provider: 'string',
    action: 'string',
    phase: "'provision' | 'teardown'",
    risk: "'low' | 'medium' | 'high'",
    nic: 'string',
    address: 'string | null',
    /** What asked for it, e.g. `DynamicConfigPart/aws-onprem-10-88-60-9`. */
    source: 'string',
    /** `manual` waits for `approve`; `auto` was decided by the ActionPolicy rule in force when it was submitted. */
    mode: "'manual' | 'auto'",
    state: ExecutionState,
    /** The index of the step running or last run, or null before the first. */
    stepIndex: 'number.integer | null',
    approvedBy: 'string | null',
    approvedAt: 'string | null',
    createdAt: 'string',
    updatedAt: 'string',
    finishedAt: 'string | null',
    /** Why it stopped, for every state but succeeded. */
    reason: 'string | null',
    /** The execution this one undoes, if it is an undo. */
    undoOf: 'string | null',
    steps: StepRecord.array(),
    plan: ActionPlan,
    /**
     * The W3C trace context of the execution (docs/protocol.md § Trace context): a child of the event whose
     * plugin run announced the plan, so the execution and the outcome event it writes join that trace.
     */
    'traceparent?': 'string',
    'tracestate?': 'string',
  }),
);
export type ExecutionRecord = typeof ExecutionRecord.infer;

/**
 * The events an execution's end writes into the group its plan came from, for the outbox to push back to
 * the node that observed the address: on-prem learns when the cloud really holds it (capture-ready). Their
 * payload is the SDK's well-known `ProviderActionOutcomePayload`, checked by every receiver.
 */
export const ProviderActionEventTypes = {
  /** The cloud shows the effect: `succeeded` (verified) or `already-done`. */
  succeeded: EventTypes.providerActionSucceeded,
  /** It did not happen: `failed` or `held-elsewhere` (never seized). */
  failed: EventTypes.providerActionFailed,
} as const;
export { ProviderActionOutcomePayload } from '@routerd/plugin-sdk';

/** GET /v1/actions/journal?state=&limit= — executions, newest first. */
export const ExecutionsQuery = lazyType(() =>
  type({
    'state?': ExecutionState,
    'limit?': LimitParam,
  }).onUndeclaredKey('reject'),
);
export const ExecutionsResponse = lazyType(() => type({ executions: ExecutionRecord.array() }));
export type ExecutionsResponse = typeof ExecutionsResponse.infer;
/** GET /v1/actions/journal/:id, and the answer of approve, reject and undo. */
export const ExecutionResponse = lazyType(() => type({ execution: ExecutionRecord }));
export type ExecutionResponse = typeof ExecutionResponse.infer;
/** POST /v1/actions/journal/:id/(approve|reject|undo): who decided (journaled as the approver). */
export const ActionDecisionRequest = lazyType(() =>
  type({
    by: type(/^\S.{0,199}$/).describe('a name of 1-200 characters, not starting with a space'),
  }).onUndeclaredKey('reject'),
);
export type ActionDecisionRequest = typeof ActionDecisionRequest.infer;
/** GET /v1/actions/:id/dry-run — the commands and what the policy in force would do. Nothing runs. */
export const ActionDryRun = lazyType(() =>
  type({
    /** Whether an ActionPolicy governs the plan's provider (without one the plan stays inert). */
    governed: 'boolean',
    mode: "'manual' | 'auto' | 'inert'",
    decidedBy: 'string',
    steps: type({
      step: 'string',
      mutating: 'boolean',
      /** The tool's absolute path (from the policy) and its argv, endpoint appended; `{{steps.X.stdout}}` unresolved. */
      argv: 'string[]',
      /** Why the executor would refuse to run this step (a tool the policy has no path for). */
      'refused?': 'string',
    }).array(),
  }),
);
export type ActionDryRun = typeof ActionDryRun.infer;
export const ActionDryRunResponse = lazyType(() => type({ plan: ActionPlan, dryRun: ActionDryRun }));
export type ActionDryRunResponse = typeof ActionDryRunResponse.infer;
