import { type } from 'arktype';
import { EventTypes } from '../constants.js';
import { IPv4HostCidr, Mac, Name, ResourceName } from './common.js';

/** `routerd.client.ipv4.observed` / `.expired`: a client address seen (or no longer seen) on a LAN. */
export const ClientIpv4Payload = type({
  address: IPv4HostCidr,
  'mac?': Mac,
  'interface?': 'string <= 32',
  domain: Name,
  ownerSide: Name,
  source: "'arp' | 'dhcp' | 'manual'",
});
export type ClientIpv4Payload = typeof ClientIpv4Payload.infer;

/** `routerd.dynamic.part.accepted` / `.rejected`: what became of an observation on the receiving node. */
export const DynamicPartOutcomePayload = type({
  part: ResourceName,
  source: 'string > 0',
  eventIds: 'string[]',
  'generation?': 'number.integer >= 0',
  'reason?': 'string',
  /** For a rejection by the single-writer rule: the node whose claim holds the address. */
  'holder?': 'string',
  'resources?': 'string[]',
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

/** Payload schemas of the well-known event types. Unknown types accept any JSON object. */
export const wellKnownPayloads = {
  [EventTypes.clientIpv4Observed]: ClientIpv4Payload,
  [EventTypes.clientIpv4Expired]: ClientIpv4Payload,
  [EventTypes.dynamicPartAccepted]: DynamicPartOutcomePayload,
  [EventTypes.dynamicPartRejected]: DynamicPartOutcomePayload,
  [EventTypes.providerActionPlanned]: ProviderActionPlannedPayload,
} as const;
