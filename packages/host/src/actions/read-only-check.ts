/**
 * A plan's read-only check — the first step that mutates nothing and can tell "already done" — and what
 * the journal recorded of it: the cloud's answer before the plan changed anything.
 */
import type { ExecutionRecord } from '@routerd/host-wire';
import type { ActionPlan } from '@routerd/plugin-sdk';

/** The index of the plan's read-only check step, or -1 when it has none. */
export function readOnlyCheckIndex(plan: ActionPlan): number {
  return plan.steps.findIndex((s) => !s.mutating && s.outcomes.alreadyDone.length > 0);
}

/**
 * Why an execution's undo may not restore a prior value (`undo.restores: prior-value`), or undefined
 * when it may. The prior value is the first reading of the plan's read-only check: it must have run and
 * found the setting not yet as the plan wants (outcome `succeeded`). A first reading of `already-done`
 * means the execution changed nothing, so an undo would change what someone else had set.
 */
export function priorValueRefusal(original: ExecutionRecord): string | undefined {
  if (original.plan.undo?.restores !== 'prior-value') return undefined;
  const check = original.plan.steps[readOnlyCheckIndex(original.plan)];
  if (!check)
    return `the plan of execution ${original.id} has no read-only check, so no prior value was recorded to restore`;
  const first = original.steps.find((s) => s.step === check.id);
  if (!first)
    return `the journal of execution ${original.id} recorded no reading of the prior value (step ${check.id} never ran): nothing is restored`;
  if (first.outcome === 'already-done')
    return `step ${check.id} of execution ${original.id} found it already so before the plan ran (read ${JSON.stringify(first.stdoutTail.trim())}): the execution changed nothing, so there is nothing to restore`;
  if (first.outcome !== 'succeeded')
    return `step ${check.id} of execution ${original.id} did not read the prior value (${first.outcome}): nothing is restored`;
  return undefined;
}
