/**
 * The one fold of client-address events (`routerd.client.ipv4.observed` / `.expired`) into what a batch
 * says about each address. A plugin (through the domain helpers) and the host (for its claims) both
 * call it, so they cannot disagree on whether an address is present. The rule (docs/protocol.md § 6):
 *
 * - **Key: (domain, address).** That is the single-writer key of a claim; the same address in two
 *   layer-2 domains is two different clients.
 * - **Order: `observedAt`, then `.observed` before `.expired`, then event id.** An entry expires only
 *   after it was seen, so at the same millisecond the expiry is the later fact; and reading "gone" costs
 *   nothing irreversible (a release waits out the teardown grace, and any re-observation cancels it)
 *   while reading "present" could claim an address nobody uses. The id makes any arrival order give
 *   one answer.
 * - **The last event in that order decides:** present when it is an observation. Its node is the owner.
 */
import { isArkErrors } from './ark-errors.js';
import { EventTypes } from './constants.js';
import { hostAddress, IPV4_CIDR_PATTERN, IPV4_PATTERN, ipv4ToInt } from './ip.js';
import type { Event } from './schemas/event.js';
import { ClientIpv4Payload } from './schemas/payloads.js';

/** `lan/10.88.60.9/32`: one address in one domain, whichever way the address was written. */
export function addressKey(domain: string, address: string): string {
  return `${domain}/${hostAddress(address)}/32`;
}

/** What a batch says about one (domain, address). */
export interface AddressState {
  /** `addressKey(domain, address)`. */
  key: string;
  domain: string;
  /** `10.88.60.9/32`. */
  address: string;
  /** `10.88.60.9`. */
  ip: string;
  /** Whether the deciding (last) event is an observation. */
  present: boolean;
  /** The node that sent the deciding event: the claim's single writer. */
  ownerNode: string;
  /** The newest `.observed` time for the address; undefined when the batch only expired it. */
  lastObservedAt: string | undefined;
  /** The deciding event's payload. */
  payload: ClientIpv4Payload;
  /** Every event about the address, in fold order (oldest first). */
  events: Event[];
  /** Index of the deciding event in the input. */
  index: number;
}

/** An input event the fold left out, and why. */
export interface SkippedEvent {
  index: number;
  event: Event;
  /** `other-type`: not a client-address event; `malformed`: its payload is not a valid client address. */
  kind: 'other-type' | 'malformed';
  summary: string;
  detail?: string;
  /** JSON Pointer within the event (`/payload/address`), or '' for the whole event. */
  pointer: string;
}

export interface AddressFold {
  /** One entry per (domain, address), by address then domain. */
  addresses: AddressState[];
  /** In input order. */
  skipped: SkippedEvent[];
}

const CLIENT_TYPES: ReadonlySet<string> = new Set([
  EventTypes.clientIpv4Observed,
  EventTypes.clientIpv4Expired,
]);

/** The fold order: oldest first; at equal times an observation before an expiry, then by id. */
export function compareAddressEvents(a: Event, b: Event): number {
  return (
    Date.parse(a.observedAt) - Date.parse(b.observedAt) ||
    (a.type === b.type ? 0 : a.type === EventTypes.clientIpv4Observed ? -1 : 1) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
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

function check(event: Event, index: number): { payload: ClientIpv4Payload } | { skipped: SkippedEvent } {
  const address = (event.payload as { address?: unknown }).address;
  const bad = addressProblem(address);
  if (bad)
    return {
      skipped: {
        index,
        event,
        kind: 'malformed',
        summary: `event ${event.id}: ${bad}`,
        pointer: '/payload/address',
      },
    };
  const payload = ClientIpv4Payload(event.payload);
  if (isArkErrors(payload))
    return {
      skipped: {
        index,
        event,
        kind: 'malformed',
        summary: `event ${event.id} about ${address}: malformed ${event.type} payload`,
        detail: payload.summary,
        pointer: '/payload',
      },
    };
  return { payload };
}

/** Fold a batch of events into the state of each (domain, address); see the rule above. */
export function foldAddressEvents(events: readonly Event[]): AddressFold {
  const skipped: SkippedEvent[] = [];
  const valid: { event: Event; index: number; payload: ClientIpv4Payload }[] = [];
  events.forEach((event, index) => {
    if (!CLIENT_TYPES.has(event.type)) {
      skipped.push({
        index,
        event,
        kind: 'other-type',
        summary: `event ${event.id} of type ${event.type} is not about client addresses: ignored`,
        pointer: '',
      });
      return;
    }
    const checked = check(event, index);
    if ('skipped' in checked) skipped.push(checked.skipped);
    else valid.push({ event, index, payload: checked.payload });
  });
  valid.sort((a, b) => compareAddressEvents(a.event, b.event));

  const byKey = new Map<string, AddressState>();
  for (const { event, index, payload } of valid) {
    const key = addressKey(payload.domain, payload.address);
    const observed = event.type === EventTypes.clientIpv4Observed;
    const state = byKey.get(key) ?? {
      key,
      domain: payload.domain,
      address: payload.address,
      ip: hostAddress(payload.address),
      present: observed,
      ownerNode: event.sourceNode,
      lastObservedAt: undefined,
      payload,
      events: [],
      index,
    };
    // In fold order, so the last event seen is the deciding one.
    state.present = observed;
    state.ownerNode = event.sourceNode;
    state.payload = payload;
    state.index = index;
    if (observed) state.lastObservedAt = event.observedAt;
    state.events.push(event);
    byKey.set(key, state);
  }
  const addresses = [...byKey.values()].sort(
    (a, b) => ipv4ToInt(a.ip) - ipv4ToInt(b.ip) || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0),
  );
  return { addresses, skipped };
}
