import type { PlanStep } from '../protocol/schemas/resources.js';

export interface CliStepInit {
  id: string;
  tool: string;
  argv: string[];
  /** False for read-only look-ups (describe/list/show), which a dry-run executor may run. */
  mutating: boolean;
  alreadyDone?: string[];
  heldElsewhere?: string[];
  retry?: string[];
  refused?: string[];
  /** Match every pattern of the step ignoring case. */
  ignoreCase?: boolean;
  timeoutSeconds?: number;
}

/** A plan step with every outcome list present (empty where the CLI has nothing to say). */
export function cliStep(init: CliStepInit): PlanStep {
  return {
    id: init.id,
    tool: init.tool,
    argv: init.argv,
    mutating: init.mutating,
    outcomes: {
      alreadyDone: init.alreadyDone ?? [],
      heldElsewhere: init.heldElsewhere ?? [],
      retry: init.retry ?? [],
      ...(init.refused?.length ? { refused: init.refused } : {}),
      ...(init.ignoreCase ? { flags: 'i' as const } : {}),
    },
    ...(init.timeoutSeconds !== undefined ? { timeoutSeconds: init.timeoutSeconds } : {}),
  };
}

/** A step builder with a provider's CLI, retry and refusal patterns and timeout filled in. */
export function cliStepBuilder(defaults: {
  tool: string;
  retry: string[];
  refused?: string[];
  timeoutSeconds: number;
}) {
  return (
    init: Omit<CliStepInit, 'tool' | 'retry' | 'refused'> & Partial<Pick<CliStepInit, 'retry' | 'refused'>>,
  ): PlanStep => cliStep({ ...defaults, ...init });
}
