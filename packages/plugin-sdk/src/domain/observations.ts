import { foldAddressEvents } from '../protocol/address-fold.js';
import type { Diagnostic } from '../protocol/schemas/common.js';
import type { Event } from '../protocol/schemas/event.js';
import type { ClientIpv4Payload } from '../protocol/schemas/payloads.js';

/** The latest word on one client address in a batch of events. */
export interface AddressChange {
  /** `10.88.60.9/32`. */
  address: string;
  /** `10.88.60.9`. */
  ip: string;
  /** The layer-2 domain the address was observed in. */
  domain: string;
  /** present: the last event observed it; absent: the last event expired it. */
  state: 'present' | 'absent';
  payload: ClientIpv4Payload;
  /** The node whose observations these are: the claim's single writer. */
  ownerNode: string;
  /** The newest `observed` time for the address, or the `expired` time when the batch has no observation. */
  lastObservedAt: string;
  /** Every event about this address in the batch, oldest first. */
  events: Event[];
  /** JSON Pointer to the deciding (last) event in the request. */
  path: string;
}

export interface CollectedChanges {
  changes: AddressChange[];
  diagnostics: Diagnostic[];
}

/**
 * Events in → the latest state of each client address, by the protocol's one fold (`foldAddressEvents`,
 * the same the host uses for its claims). Malformed client events become diagnostics naming the address;
 * events of other types are noted and ignored. An address the batch shows in more than one domain is
 * an error diagnostic and no change: one NIC holds an address once, and which domain's client it would
 * serve is not the plugin's call.
 */
export function collectAddressChanges(events: readonly Event[]): CollectedChanges {
  const fold = foldAddressEvents(events);
  const diagnostics: Diagnostic[] = fold.skipped.map((s) => ({
    severity: s.kind === 'other-type' ? 'info' : 'error',
    summary: s.summary,
    ...(s.detail === undefined ? {} : { detail: s.detail }),
    path: `/spec/events/${s.index}${s.pointer}`,
  }));
  const domainsOf = new Map<string, string[]>();
  for (const a of fold.addresses) domainsOf.set(a.address, [...(domainsOf.get(a.address) ?? []), a.domain]);
  const changes: AddressChange[] = [];
  for (const a of fold.addresses) {
    const domains = domainsOf.get(a.address)!;
    if (domains.length > 1) {
      if (domains[0] === a.domain)
        diagnostics.push({
          severity: 'error',
          summary: `${a.address} is observed in domains ${domains.join(', ')} in one batch: not captured`,
          detail: 'one NIC holds an address once; each domain needs its own plugin (or subscription)',
          path: `/spec/events/${a.index}`,
        });
      continue;
    }
    changes.push({
      address: a.address,
      ip: a.ip,
      domain: a.domain,
      state: a.present ? 'present' : 'absent',
      payload: a.payload,
      ownerNode: a.ownerNode,
      lastObservedAt: a.lastObservedAt ?? a.events[a.events.length - 1]!.observedAt,
      events: a.events,
      path: `/spec/events/${a.index}`,
    });
  }
  return { changes, diagnostics };
}
