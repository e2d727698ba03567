/**
 * Where a DynamicConfigPart's action plans become executions: a plan announced for the first time is
 * submitted, a plan its part no longer carries (released, or superseded by a newer generation) is
 * cancelled if it has not started. Only plans of a provider some ActionPolicy governs are journaled:
 * a node without an ActionPolicy keeps its plans inert, exactly as before the executor existed.
 */
import type { DynamicConfigPart } from '@routerd/host-wire';
import type { ActionPlan, TraceContext } from '@routerd/plugin-sdk';
import type { ActionPolicy } from '../config/schemas.js';
import type { ActionJournal } from '../store/action-journal.js';

/** What the executor offers this bridge (ActionExecutor has it). */
export interface PlanSink {
  submit(plan: ActionPlan, source: string, undoOf?: string, cause?: TraceContext): unknown;
  cancel(id: string, reason: string): boolean;
}

/** The journal's `source` of a part's executions. */
export const partSource = (partName: string) => `DynamicConfigPart/${partName}`;

/** The part a journal `source` names, or undefined for another source (an undo, a test). */
export const partOfSource = (source: string) =>
  source.startsWith('DynamicConfigPart/') ? source.slice('DynamicConfigPart/'.length) : undefined;

/**
 * The executor's `basisExpiresAt`: a part's plan lapses with the part (DynamicConfig.partExpiresAt);
 * another source never does. `parts` is read at each call, so it may be built after the executor.
 */
export const partBasisExpiry =
  (parts: () => { partExpiresAt(name: string): number | undefined }) =>
  (source: string): number | undefined => {
    const part = partOfSource(source);
    return part === undefined ? undefined : parts().partExpiresAt(part);
  };

/** Dynamic config's plan hooks (dynamic/plans.ts PartPlanHooks), fed to the executor. */
export class PartPlans {
  constructor(
    private readonly o: {
      executor: PlanSink;
      journal: ActionJournal;
      policies: () => ReadonlyMap<string, ActionPolicy>;
    },
  ) {}

  /** A part was written; `fresh` are its plans announced now for the first time. */
  written(part: DynamicConfigPart, fresh: readonly ActionPlan[], cause?: TraceContext): void {
    const keep = new Set(part.spec.actionPlans.map((p) => p.idempotencyKey));
    this.cancelUnstarted(part.metadata.name, (key) => !keep.has(key), 'superseded');
    for (const plan of fresh) this.submit(plan, part.metadata.name, cause);
  }

  /** A part left the config (its claim's grace ran out). */
  released(partName: string): void {
    this.cancelUnstarted(partName, () => true, 'released');
  }

  /** A claim's address was observed again: its teardown part's unstarted executions are cancelled. */
  returned(claimPart: string): void {
    this.cancelUnstarted(`${claimPart}-teardown`, () => true, 'made moot by the client coming back');
  }

  /**
   * At start and after a reload: plans of active parts never journaled (announced while no ActionPolicy
   * governed their provider, or before this daemon executed anything) are submitted now.
   */
  adopt(plans: readonly { part: string; plan: ActionPlan }[]): void {
    for (const { part, plan } of plans)
      if (!this.o.journal.knows(plan.idempotencyKey)) this.submit(plan, part);
  }

  private submit(plan: ActionPlan, partName: string, cause?: TraceContext): void {
    if (this.o.policies().has(plan.provider))
      this.o.executor.submit(plan, partSource(partName), undefined, cause);
  }

  private cancelUnstarted(partName: string, which: (key: string) => boolean, why: string): void {
    for (const r of this.o.journal.unfinishedFrom(partSource(partName)))
      if (which(r.idempotencyKey))
        this.o.executor.cancel(r.id, `its part ${partSource(partName)} was ${why} before it ran`);
  }
}

/** The ActionPolicies of a config by name (= the provider each governs), built once per config object. */
const byConfig = new WeakMap<object, ReadonlyMap<string, ActionPolicy>>();
export function policiesByName(config: {
  actionPolicies: readonly { resource: ActionPolicy }[];
}): ReadonlyMap<string, ActionPolicy> {
  let map = byConfig.get(config);
  if (!map) {
    map = new Map(config.actionPolicies.map((p) => [p.resource.metadata.name, p.resource]));
    byConfig.set(config, map);
  }
  return map;
}
