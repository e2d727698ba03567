/** Which of a result's action plans go with which part: per claimed address, teardown, the rest. */
import type { DynamicConfigPart } from '@routerd/host-wire';
import { type ActionPlan, hostAddress, type TraceContext } from '@routerd/plugin-sdk';
import type { StoredPart } from '../store/dynamic-parts.js';
import { undoPlanOf } from '../undo-plan.js';

const TEARDOWN: ActionPlan['action'] = 'unassign-secondary-ip';

/** `10.88.60.9/32` for a plan with a target address. */
export const planAddress = (p: ActionPlan) =>
  p.target.address ? `${hostAddress(p.target.address)}/32` : undefined;

/**
 * A result's plans by the address they target, each plan's address read once: a result of 500 claims and
 * 500 plans looked every plan's address up again for every claim (250,000 parses per batch).
 */
export type PlansByAddress = ReadonlyMap<string, readonly ActionPlan[]>;

export function plansByAddress(plans: readonly ActionPlan[]): PlansByAddress {
  const index = new Map<string, ActionPlan[]>();
  for (const p of plans) {
    const address = planAddress(p);
    if (address === undefined) continue;
    const list = index.get(address);
    if (list) list.push(p);
    else index.set(address, [p]);
  }
  return index;
}

/** The plans a claim's part carries: the address's own, but never its teardown (held until release). */
export const claimPlans = (plans: PlansByAddress, address: string) =>
  (plans.get(address) ?? []).filter((p) => p.action !== TEARDOWN);

/** The plugin's own teardown plans for an address the batch says is gone. */
export const teardownPlans = (plans: PlansByAddress, address: string) =>
  (plans.get(address) ?? []).filter((p) => p.action === TEARDOWN);

/** Plans for no address, or for an address no claim of the result holds; never a teardown. */
export const restPlans = (plans: readonly ActionPlan[], claimedAddresses: ReadonlySet<string>) =>
  plans.filter((p) => !p.target.address || (!claimedAddresses.has(planAddress(p)!) && p.action !== TEARDOWN));

/** Without an explicit teardown plan, the assign plans' own `undo` says how to take the address back. */
export function undoPlans(part: StoredPart): ActionPlan[] {
  return part.body.spec.actionPlans
    .filter((p) => p.action === 'assign-secondary-ip')
    .flatMap((p) => undoPlanOf(p) ?? []);
}

/**
 * Told once a part's write or release has committed: where plans become executions (the daemon wires
 * the action executor here; without it plans stay inert).
 */
export interface PartPlanHooks {
  /** A part was written; `fresh` are its plans announced now for the first time. */
  /** `cause`: the trace context of the event whose run wrote it (the newest traced one of the batch). */
  written(part: DynamicConfigPart, fresh: readonly ActionPlan[], cause?: TraceContext): void;
  /** A part left the config (its claim's grace ran out). */
  released(partName: string): void;
  /** A claim's address was observed again: its `<part>-teardown`, if any, must not run. */
  returned(claimPart: string): void;
}
