import { type Event, EventTypes, hostAddress } from '@routerd/plugin-sdk';

/** What a batch of events says about each (domain, address): present or gone, since when, seen by whom. */
export interface AddressObservation {
  domain: string;
  address: string;
  sourceNode: string;
  present: boolean;
  lastObservedMs: number;
  eventIds: string[];
}

export const claimKey = (domain: string, address: string) => `${domain}/${hostAddress(address)}/32`;

/** Fold a batch, oldest first: an `.observed` makes the address present, a later `.expired` absent. */
export function foldObservations(events: readonly Event[]): Map<string, AddressObservation> {
  const out = new Map<string, AddressObservation>();
  const sorted = [...events].sort((a, b) => Date.parse(a.observedAt) - Date.parse(b.observedAt));
  for (const e of sorted) {
    if (e.type !== EventTypes.clientIpv4Observed && e.type !== EventTypes.clientIpv4Expired) continue;
    const { address, domain } = e.payload as { address: string; domain: string };
    const key = claimKey(domain, address);
    const at = Date.parse(e.observedAt);
    const prev = out.get(key);
    const o: AddressObservation = prev ?? {
      domain,
      address: `${hostAddress(address)}/32`,
      sourceNode: e.sourceNode,
      present: false,
      lastObservedMs: 0,
      eventIds: [],
    };
    o.eventIds.push(e.id);
    o.sourceNode = e.sourceNode;
    if (e.type === EventTypes.clientIpv4Observed) {
      o.present = true;
      o.lastObservedMs = Math.max(o.lastObservedMs, at);
    } else if (at >= o.lastObservedMs) o.present = false;
    out.set(key, o);
  }
  return out;
}
