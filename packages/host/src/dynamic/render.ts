/** Effective config: startup resources + active dynamic parts − masks (each allowed by a DynamicOverridePolicy). */
import type { MaskedResource, RenderResponse } from '@routerd/host-wire';
import type { ActionPlan, Resource } from '@routerd/plugin-sdk';
import type { FederationConfig } from '../config/index.js';
import type { StoredPart } from '../store/dynamic-parts.js';
import { maskAllowed } from './invariants.js';
import { isLive } from './parts.js';

/** The resources the config files define, which no dynamic part may replace. */
export function startupResources(config: FederationConfig): Resource[] {
  return [
    ...config.groups,
    ...config.peers,
    ...config.subscriptions,
    ...config.plugins,
    ...config.policies,
  ].map((l) => l.resource as unknown as Resource);
}

export function renderEffective(
  config: FederationConfig,
  activeParts: readonly StoredPart[],
): RenderResponse {
  const masked: MaskedResource[] = [];
  for (const p of activeParts) {
    for (const d of p.body.spec.directives) {
      if (d.op === 'mask' && maskAllowed(config.policies, p.source, d.target))
        masked.push({ ...d.target, by: p.name, reason: d.reason });
    }
  }
  const isMasked = (r: Resource) => masked.some((m) => m.kind === r.kind && m.name === r.metadata.name);
  return {
    resources: [
      ...startupResources(config).filter((r) => !isMasked(r)),
      ...activeParts.flatMap((p) => p.body.spec.resources),
    ],
    masked,
    parts: activeParts.map((p) => p.name),
  };
}

/** Every stored part, an active one past its expiry shown as released. */
export function partsAsOf(parts: readonly StoredPart[], now: number): StoredPart[] {
  return parts.map((p) => ({
    ...p,
    state: p.state === 'active' && !isLive(p, now) ? 'released' : p.state,
  }));
}

/** Plans of active parts: the inert action list (`routerctl action list`). */
export const actionPlansOf = (activeParts: readonly StoredPart[]): { part: string; plan: ActionPlan }[] =>
  activeParts.flatMap((p) => p.body.spec.actionPlans.map((plan) => ({ part: p.name, plan })));
