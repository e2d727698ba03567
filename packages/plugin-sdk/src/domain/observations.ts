import { isArkErrors } from '../protocol/ark-errors.js';
import { EventTypes } from '../protocol/constants.js';
import { IPV4_CIDR_PATTERN, IPV4_PATTERN, ipv4ToInt } from '../protocol/ip.js';
import type { Diagnostic } from '../protocol/schemas/common.js';
import type { Event } from '../protocol/schemas/event.js';
import { ClientIpv4Payload } from '../protocol/schemas/payloads.js';

/** The latest word on one client address in a batch of events. */
export interface AddressChange {
  /** `10.88.60.9/32`. */
  address: string;
  /** `10.88.60.9`. */
  ip: string;
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

const CLIENT_TYPES: ReadonlySet<string> = new Set([
  EventTypes.clientIpv4Observed,
  EventTypes.clientIpv4Expired,
]);

/** Oldest first; ties broken by type (observed before expired) and id, so any arrival order gives one answer. */
function byTime(a: { ev: Event }, b: { ev: Event }): number {
  return (
    Date.parse(a.ev.observedAt) - Date.parse(b.ev.observedAt) ||
    (a.ev.type === b.ev.type ? 0 : a.ev.type === EventTypes.clientIpv4Observed ? -1 : 1) ||
    (a.ev.id < b.ev.id ? -1 : a.ev.id > b.ev.id ? 1 : 0)
  );
}

/** Why an address is not a usable client address, or undefined when it is a well-formed /32. */
function addressProblem(address: unknown): string | undefined {
  if (typeof address !== 'string') return 'the payload has no address';
  if (IPV4_PATTERN.test(address)) return `${address} is not a /32: write it as ${address}/32`;
  if (!IPV4_CIDR_PATTERN.test(address)) return `${JSON.stringify(address)} is not an IPv4 address`;
  if (!address.endsWith('/32')) return `${address} is a network, not a single address (/32)`;
  return undefined;
}

function check(ev: Event, path: string): { payload: ClientIpv4Payload } | { diagnostic: Diagnostic } {
  const address = (ev.payload as { address?: unknown }).address;
  const bad = addressProblem(address);
  if (bad)
    return {
      diagnostic: { severity: 'error', summary: `event ${ev.id}: ${bad}`, path: `${path}/payload/address` },
    };
  const payload = ClientIpv4Payload(ev.payload);
  if (isArkErrors(payload)) {
    return {
      diagnostic: {
        severity: 'error',
        summary: `event ${ev.id} about ${address}: malformed ${ev.type} payload`,
        detail: payload.summary,
        path: `${path}/payload`,
      },
    };
  }
  return { payload };
}

/**
 * Events in → the latest state of each client address, oldest evidence first. Malformed client events
 * become diagnostics naming the address; events of other types are noted and ignored.
 */
export function collectAddressChanges(events: readonly Event[]): CollectedChanges {
  const diagnostics: Diagnostic[] = [];
  const valid: { ev: Event; path: string; payload: ClientIpv4Payload }[] = [];
  events.forEach((ev, i) => {
    const path = `/spec/events/${i}`;
    if (!CLIENT_TYPES.has(ev.type)) {
      diagnostics.push({
        severity: 'info',
        summary: `event ${ev.id} of type ${ev.type} is not about client addresses: ignored`,
        path,
      });
      return;
    }
    const checked = check(ev, path);
    if ('diagnostic' in checked) diagnostics.push(checked.diagnostic);
    else valid.push({ ev, path, payload: checked.payload });
  });

  const byAddress = new Map<string, typeof valid>();
  for (const v of [...valid].sort(byTime)) {
    const list = byAddress.get(v.payload.address) ?? [];
    list.push(v);
    byAddress.set(v.payload.address, list);
  }
  const changes = [...byAddress.values()].map((list): AddressChange => {
    const last = list[list.length - 1]!;
    const observed = list.filter((v) => v.ev.type === EventTypes.clientIpv4Observed);
    return {
      address: last.payload.address,
      ip: last.payload.address.split('/')[0]!,
      state: last.ev.type === EventTypes.clientIpv4Observed ? 'present' : 'absent',
      payload: last.payload,
      ownerNode: last.ev.sourceNode,
      lastObservedAt: (observed[observed.length - 1] ?? last).ev.observedAt,
      events: list.map((v) => v.ev),
      path: last.path,
    };
  });
  changes.sort((a, b) => ipv4ToInt(a.ip) - ipv4ToInt(b.ip));
  return { changes, diagnostics };
}
