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

/** How long an acknowledgement lives: an origin that missed it has that long to read it. */
export const ACK_TTL = '1h';

/** A local event and the group it goes to. */
export type LocalDraft = EventDraft & { group: string };

/**
 * Bytes of an acknowledgement's payload each list may take (event ids, resource names): a batch runs
 * up to 10,000 events, and an event is at most MAX_EVENT_BYTES (64 KiB) — an acknowledgement over it
 * would be refused, and its part's plans never announced with it. What does not fit is counted.
 */
export const ACK_LIST_BYTES = 24 * 1024;

/** The first items (in order) whose JSON fits `budget` bytes, and how many were left out. */
export function fitting(
  items: readonly string[],
  budget = ACK_LIST_BYTES,
): { kept: string[]; omitted: number } {
  const kept: string[] = [];
  let bytes = 2; // []
  for (const item of items) {
    bytes += Buffer.byteLength(JSON.stringify(item)) + 1;
    if (bytes > budget) break;
    kept.push(item);
  }
  return { kept, omitted: items.length - kept.length };
}

/** `eventIds` (sorted) and `eventIdsOmitted` of a payload. */
function eventIdsOf(ids: readonly string[]) {
  const { kept, omitted } = fitting([...ids].sort());
  return omitted > 0 ? { eventIds: kept, eventIdsOmitted: omitted } : { eventIds: kept };
}

/**
 * One acknowledgement per accepted part, naming the events that part came from (`partEvents`: a claim's
 * part, the events about its address; otherwise the whole batch, `eventIds`), and one per refusal.
 */
export function acknowledgementDrafts(
  group: string,
  outcome: ApplyOutcome,
  source: string,
  eventIds: readonly string[],
  partEvents: ReadonlyMap<string, readonly string[]> = new Map(),
): LocalDraft[] {
  const batch = eventIdsOf(eventIds);
  const drafts: LocalDraft[] = outcome.accepted.map((a) => {
    const own = partEvents.get(a.part);
    const { kept, omitted } = fitting(a.resources);
    return {
      group,
      type: EventTypes.dynamicPartAccepted,
      subject: a.part,
      ttl: ACK_TTL,
      payload: {
        part: a.part,
        source,
        ...(own ? eventIdsOf(own) : batch),
        generation: a.generation,
        resources: kept,
        ...(omitted > 0 ? { resourcesOmitted: omitted } : {}),
      },
    };
  });
  if (outcome.rejected) {
    const { part, reason, holder } = outcome.rejected;
    drafts.push({
      group,
      type: EventTypes.dynamicPartRejected,
      subject: part,
      ttl: ACK_TTL,
      payload: { part, source, ...batch, reason, ...(holder ? { holder } : {}) },
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
    ttl: ACK_TTL,
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
