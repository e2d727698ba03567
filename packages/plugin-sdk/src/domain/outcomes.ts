import type { PlanStep } from '../protocol/schemas/resources.js';

/**
 * What an executor makes of one finished step:
 * - `succeeded`: exit 0 and no pattern matched — go on with the next step;
 * - `already-done`: the desired state already holds — stop, the plan succeeded ("already assigned" = success);
 * - `held-elsewhere`: another NIC holds the address — stop and report, never seize;
 * - `retry`: transient (throttling, a busy resource) — run the step again with backoff;
 * - `failed`: a non-zero exit that no pattern explains.
 */
export type StepOutcome = 'succeeded' | 'already-done' | 'held-elsewhere' | 'retry' | 'failed';

export interface StepExit {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function anyMatches(patterns: readonly string[], texts: readonly string[]): boolean {
  return patterns.some((p) => {
    const re = new RegExp(p, 'm');
    return texts.some((t) => re.test(t));
  });
}

/**
 * Classify a step's exit by its outcome patterns, in a fixed order: `alreadyDone`, then `heldElsewhere`
 * (both on any exit code: a read-only check step reports them on stdout with exit 0), then `retry`
 * (only on a non-zero exit, so a successful answer that happens to contain "429" is not retried).
 * Patterns are regular expressions matched multi-line against stdout and stderr separately.
 */
export function classifyStepOutcome(step: Pick<PlanStep, 'outcomes'>, exit: StepExit): StepOutcome {
  const texts = [exit.stdout, exit.stderr];
  if (anyMatches(step.outcomes.alreadyDone, texts)) return 'already-done';
  if (anyMatches(step.outcomes.heldElsewhere, texts)) return 'held-elsewhere';
  if (exit.exitCode === 0) return 'succeeded';
  if (anyMatches(step.outcomes.retry, texts)) return 'retry';
  return 'failed';
}

const STEP_OUTPUT_REF = /^\{\{steps\.([A-Za-z0-9_-]+)\.stdout\}\}$/;

/**
 * An argv element that stands for the trimmed stdout of an earlier step of the same plan, e.g. the OCI
 * private-IP OCID that a lookup step prints before the delete step needs it. The whole element is
 * replaced; nothing is ever interpolated into a larger string, so there is no quoting question.
 */
export function stepOutputRef(stepId: string): string {
  return `{{steps.${stepId}.stdout}}`;
}

/** Replace step output references with the earlier steps' trimmed stdout; unknown references throw. */
export function resolveArgv(argv: readonly string[], outputs: ReadonlyMap<string, string>): string[] {
  return argv.map((arg) => {
    const m = STEP_OUTPUT_REF.exec(arg);
    if (!m) return arg;
    const out = outputs.get(m[1]!);
    if (out === undefined) throw new Error(`argv refers to the output of step "${m[1]}", which has not run`);
    return out.trim();
  });
}
