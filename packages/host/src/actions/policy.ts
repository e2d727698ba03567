/**
 * What an ActionPolicy says about one plan: manual or auto (first matching rule; none: manual), the
 * tool's absolute path, the child's environment and the endpoint override. Pure functions of the policy.
 */
import type { ActionPlan } from '@routerd/plugin-sdk';
import type { ActionPolicy } from '../config/schemas.js';

export type PolicySpec = ActionPolicy['spec'];

export interface ModeDecision {
  mode: 'manual' | 'auto';
  /** Who decided, journaled as the approver of an auto execution: `ActionPolicy/aws rules[0]`. */
  by: string;
}

export function decideMode(policy: ActionPolicy | undefined, plan: ActionPlan): ModeDecision {
  if (!policy) return { mode: 'manual', by: `no ActionPolicy/${plan.provider}` };
  const phase = plan.phase ?? 'provision';
  const i = policy.spec.rules.findIndex(
    (r) =>
      (r.action === '*' || r.action === plan.action) &&
      (r.phase === '*' || r.phase === phase) &&
      r.risk.includes(plan.riskLevel),
  );
  const rule = policy.spec.rules[i];
  if (!rule) return { mode: 'manual', by: `ActionPolicy/${policy.metadata.name} (no rule matches)` };
  // The schema refuses this already; checked again where it matters, so a policy built in code cannot slip.
  if (rule.mode === 'auto' && phase === 'teardown' && !policy.spec.allowAutoTeardown)
    return { mode: 'manual', by: `ActionPolicy/${policy.metadata.name} (teardown is not opted in)` };
  return { mode: rule.mode, by: `ActionPolicy/${policy.metadata.name} rules[${i}]` };
}

export class PolicyRefusal extends Error {
  override name = 'PolicyRefusal';
}

/** The configured absolute path of a step's tool; never a PATH lookup. */
export function toolPath(policy: PolicySpec, tool: string, provider: string): string {
  const path = policy.tools[tool];
  if (!path)
    throw new PolicyRefusal(
      `ActionPolicy/${provider} spec.tools has no path for the tool "${tool}": add "${tool}: /absolute/path"`,
    );
  return path;
}

/**
 * The tool's whole environment: a fixed PATH (for the tool's own helpers), HOME (where a named profile
 * lives) and the policy's env. Nothing else of the daemon's environment reaches it.
 */
export function childEnv(policy: PolicySpec, home: string | undefined): Record<string, string> {
  return { PATH: '/usr/bin:/bin', ...(home ? { HOME: home } : {}), ...policy.env };
}

export function withEndpoint(policy: PolicySpec, argv: readonly string[]): string[] {
  return policy.endpointUrl ? [...argv, policy.endpointFlag, policy.endpointUrl] : [...argv];
}
