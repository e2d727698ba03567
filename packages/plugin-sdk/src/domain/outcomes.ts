import type { PlanStep } from '../protocol/schemas/resources.js';

/**
 * What an executor makes of one finished step:
 * - `succeeded`: exit 0 and no pattern matched — go on with the next step;
 * - `already-done`: the desired state already holds — stop, the plan succeeded ("already assigned" = success);
 * - `held-elsewhere`: another NIC holds the address — stop and report, never seize;
 * - `retry`: transient (throttling, a busy resource) — run the step again with backoff;
 * - `refused`: the provider said no for a reason a retry does not change (permission, limit, a missing
 *   NIC, an address the subnet cannot give) — stop and report it;
 * - `failed`: a non-zero exit that no pattern explains.
 */
export type StepOutcome = 'succeeded' | 'already-done' | 'held-elsewhere' | 'retry' | 'refused' | 'failed';

export interface StepExit {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function anyMatches(
  patterns: readonly string[] | undefined,
  flags: string,
  texts: readonly string[],
): boolean {
  return (patterns ?? []).some((p) => {
    const re = new RegExp(p, flags);
    return texts.some((t) => re.test(t));
  });
}

/**
 * Classify a step's exit by its outcome patterns, in a fixed order: `alreadyDone`, then `heldElsewhere`
 * (both on any exit code: a read-only check step reports them on stdout with exit 0), then, only on a
 * non-zero exit (so a successful answer that happens to contain "429" is not retried), `retry` and
 * `refused`. Patterns are regular expressions matched multi-line against stdout and stderr separately,
 * ignoring case when the step's `outcomes.flags` is `i`.
 */
export function classifyStepOutcome(step: Pick<PlanStep, 'outcomes'>, exit: StepExit): StepOutcome {
  const { outcomes } = step;
  const flags = `m${outcomes.flags ?? ''}`;
  const texts = [exit.stdout, exit.stderr];
  if (anyMatches(outcomes.alreadyDone, flags, texts)) return 'already-done';
  if (anyMatches(outcomes.heldElsewhere, flags, texts)) return 'held-elsewhere';
  if (exit.exitCode === 0) return 'succeeded';
  if (anyMatches(outcomes.retry, flags, texts)) return 'retry';
  if (anyMatches(outcomes.refused, flags, texts)) return 'refused';
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

/**
 * Replace step output references with the earlier steps' trimmed stdout. A reference to a step that has
 * not run, or whose trimmed stdout is empty, throws an error naming that step: an empty argument would
 * reach the CLI as `--private-ip-id ""`, a command nobody planned.
 */
export function resolveArgv(argv: readonly string[], outputs: ReadonlyMap<string, string>): string[] {
  return argv.map((arg) => {
    const m = STEP_OUTPUT_REF.exec(arg);
    if (!m) return arg;
    const out = outputs.get(m[1]!);
    if (out === undefined) throw new Error(`argv refers to the output of step "${m[1]}", which has not run`);
    const value = out.trim();
    if (value === '')
      throw new Error(
        `argv refers to the output of step "${m[1]}", which printed nothing: refusing an empty argument`,
      );
    return value;
  });
}
