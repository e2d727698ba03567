/**
 * The events that tell the origin what became of its observations (`routerd.dynamic.part.accepted` /
 * `.rejected`) and announce each new plan (`routerd.provider.action.planned`). Local events: the outbox
 * pushes them back to the peer that observed the address.
 */
import type { DynamicConfigPart } from '@routerd/host-wire';
import { type ActionPlan, type EventDraft, EventTypes, hostAddress } from '@routerd/plugin-sdk';

export interface ApplyOutcome {
  accepted: { part: string; generation: number; resources: string[] }[];
  rejected?: { reason: string; holder?: string; part: string };
  /** Plans announced for the first time by this result. */
  announced: ActionPlan[];
}

/** A local event and the group it goes to. */
export type LocalDraft = EventDraft & { group: string };

export function acknowledgementDrafts(
  group: string,
  outcome: ApplyOutcome,
  source: string,
  eventIds: readonly string[],
): LocalDraft[] {
  const sortedIds = [...eventIds].sort();
  const drafts: LocalDraft[] = outcome.accepted.map((a) => ({
    group,
    type: EventTypes.dynamicPartAccepted,
    subject: a.part,
    ttl: '1h',
    payload: { part: a.part, source, eventIds: sortedIds, generation: a.generation, resources: a.resources },
  }));
  if (outcome.rejected) {
    const { part, reason, holder } = outcome.rejected;
    drafts.push({
      group,
      type: EventTypes.dynamicPartRejected,
      subject: part,
      ttl: '1h',
      payload: { part, source, eventIds: sortedIds, reason, ...(holder ? { holder } : {}) },
    });
  }
  return drafts;
}

export function announcementDrafts(
  group: string,
  part: DynamicConfigPart,
  fresh: readonly ActionPlan[],
): LocalDraft[] {
  return fresh.map((p) => ({
    group,
    type: EventTypes.providerActionPlanned,
    ...(p.target.address ? { subject: p.target.address } : {}),
    dedupeKey: p.idempotencyKey,
    ttl: '1h',
    payload: {
      plan: p.name,
      provider: p.provider,
      action: p.action,
      idempotencyKey: p.idempotencyKey,
      part: part.metadata.name,
      ...(p.target.address ? { address: `${hostAddress(p.target.address)}/32` } : {}),
    },
  }));
}
