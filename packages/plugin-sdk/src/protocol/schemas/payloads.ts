import { type } from 'arktype';
import { WELL_KNOWN_PAYLOAD_SCHEMAS } from '../constants.js';
import { IPv4HostCidr, Mac, Name, ResourceName } from './common.js';

/**
 * A client's DHCP hostname (option 12, or the name a lease file records): DNS labels of letters, digits,
 * `-` and `_` (Windows names carry underscores), 1–63 characters each, at most 253 in all, a trailing
 * dot allowed. A payload with anything else there is refused, so an observer leaves out a name that is
 * not one of these.
 */
export const ClientHostname = type(
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/,
).describe('a hostname such as laptop-7 or laptop-7.lan (DNS labels of letters, digits, - and _)');

/** `routerd.client.ipv4.observed` / `.expired`: a client address seen (or no longer seen) on a LAN. */
export const ClientIpv4Payload = type({
  address: IPv4HostCidr,
  'mac?': Mac,
  'interface?': 'string <= 32',
  /** Optional: older observers omit it, and a consumer must not require it. */
  'hostname?': ClientHostname,
  domain: Name,
  ownerSide: Name,
  source: "'arp' | 'dhcp' | 'manual'",
});
export type ClientIpv4Payload = typeof ClientIpv4Payload.infer;

/** `routerd.dynamic.part.accepted` / `.rejected`: what became of an observation on the receiving node. */
export const DynamicPartOutcomePayload = type({
  part: ResourceName,
  source: 'string > 0',
  /** The events the part came from (a claim: those about its address), sorted; as many as fit. */
  eventIds: 'string[]',
  /** How many more there were: left out so the event stays within MAX_EVENT_BYTES. */
  'eventIdsOmitted?': 'number.integer > 0',
  'generation?': 'number.integer >= 0',
  'reason?': 'string',
  /** For a rejection by the single-writer rule: the node whose claim holds the address. */
  'holder?': 'string',
  'resources?': 'string[]',
  /** How many more resources the part holds than `resources` lists (same bound). */
  'resourcesOmitted?': 'number.integer > 0',
});
export type DynamicPartOutcomePayload = typeof DynamicPartOutcomePayload.infer;

/** `routerd.provider.action.planned`: a new inert action plan exists. */
export const ProviderActionPlannedPayload = type({
  plan: 'string > 0',
  provider: 'string > 0',
  action: 'string > 0',
  idempotencyKey: 'string > 0',
  'address?': IPv4HostCidr,
  'part?': 'string',
});
export type ProviderActionPlannedPayload = typeof ProviderActionPlannedPayload.infer;

/**
 * `routerd.provider.action.succeeded` / `.failed`: how an execution of a plan ended, written by the node
 * that ran it for the node that owns the address (the capture-ready signal). An observed fact, never a
 * command: the receiver only learns what the cloud did.
 */
export const ProviderActionOutcomePayload = type({
  execution: 'string > 0',
  plan: 'string > 0',
  provider: 'string > 0',
  action: 'string > 0',
  phase: "'provision' | 'teardown'",
  idempotencyKey: 'string > 0',
  /** succeeded and already-done for `.succeeded`; failed and held-elsewhere for `.failed`. */
  state: "'succeeded' | 'already-done' | 'failed' | 'held-elsewhere'",
  nic: 'string > 0',
  'address?': IPv4HostCidr,
  /** The node that observed the address: who this news is for. */
  'ownerNode?': Name,
  'reason?': 'string',
  finishedAt: 'string > 0',
  /** The execution this one undid, when it is an undo. */
  'undoOf?': 'string',
});
export type ProviderActionOutcomePayload = typeof ProviderActionOutcomePayload.infer;

const payloadSchemas = {
  ClientIpv4Payload,
  DynamicPartOutcomePayload,
  ProviderActionPlannedPayload,
  ProviderActionOutcomePayload,
};

/** Payload schemas of the well-known event types. Unknown types accept any JSON object. */
export const wellKnownPayloads = Object.fromEntries(
  Object.entries(WELL_KNOWN_PAYLOAD_SCHEMAS).map(([eventType, name]) => [eventType, payloadSchemas[name]]),
) as {
  [T in keyof typeof WELL_KNOWN_PAYLOAD_SCHEMAS]: (typeof payloadSchemas)[(typeof WELL_KNOWN_PAYLOAD_SCHEMAS)[T]];
};
