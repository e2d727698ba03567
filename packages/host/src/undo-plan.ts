/**
 * The plan that takes an executed plan back, from its `undo` (the release plan of an assign, the prior
 * forwarding setting). One definition for the two places that need it: a released claim's teardown
 * (dynamic/) and `routerctl action undo` (actions/).
 */
import type { ActionPlan } from '@routerd/plugin-sdk';

export function undoPlanOf(p: ActionPlan): ActionPlan | undefined {
  if (!p.undo?.steps?.length) return undefined;
  return {
    ...p,
    name: `${p.name}-undo`,
    action: p.undo.action,
    // Taking something back is a teardown, whatever phase the plan had: auto needs its own opt-in.
    phase: 'teardown',
    idempotencyKey: `${p.idempotencyKey}|undo`,
    steps: p.undo.steps,
    expectedEffects: p.undo.expectedEffects ?? [
      `${p.target.address ?? 'the address'} is no longer a secondary address of ${p.target.nicRef}`,
    ],
    undo: undefined,
  };
}
