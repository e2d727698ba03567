/**
 * `routerctl action run ID --dry-run`: what the executor would run for a plan and what the policy in
 * force would do with it — nothing is run, nothing journaled. A pure function of the policy and the plan.
 */
import type { ActionDryRun } from '@routerd/host-wire';
import type { ActionPlan } from '@routerd/plugin-sdk';
import type { ActionPolicy } from '../config/schemas.js';
import { decideMode, PolicyRefusal, toolPath, withEndpoint } from './policy.js';

export function dryRun(policy: ActionPolicy | undefined, plan: ActionPlan): ActionDryRun {
  const decision = decideMode(policy, plan);
  return {
    governed: policy !== undefined,
    mode: policy ? decision.mode : 'inert',
    decidedBy: decision.by,
    steps: plan.steps.map((s) => {
      let tool: string;
      try {
        tool = policy ? toolPath(policy.spec, s.tool, plan.provider) : s.tool;
      } catch (err) {
        if (!(err instanceof PolicyRefusal)) throw err;
        return { step: s.id, mutating: s.mutating, argv: [s.tool, ...s.argv], refused: err.message };
      }
      // `{{steps.ID.stdout}}` stays as written: it is only known once that step has run.
      const argv = policy ? withEndpoint(policy.spec, s.argv) : [...s.argv];
      return { step: s.id, mutating: s.mutating, argv: [tool, ...argv] };
    }),
  };
}
