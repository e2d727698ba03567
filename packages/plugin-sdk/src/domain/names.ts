import { addressSlug, hostAddress } from '../protocol/ip.js';
import type { ActionPlan } from '../protocol/schemas/resources.js';

type Provider = ActionPlan['provider'];
type Action = ActionPlan['action'];

/** The protocol's claim name: `onprem-` and the address with dots as dashes (`onprem-10-88-60-9`). */
export function claimName(address: string): string {
  return `onprem-${addressSlug(address)}`;
}

/** A readable, DNS-safe fragment of a NIC reference: the last path segment, lowercased. */
export function nicSlug(nicRef: string): string {
  const last = nicRef.split('/').filter(Boolean).pop() ?? nicRef;
  return last
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

/**
 * Plan names: one plan per (provider, action, address) for address changes, one per (provider, NIC)
 * for forwarding — so two runs that mean the same change name it the same way.
 */
export function planName(provider: Provider, action: Action, subject: { address?: string; nicRef: string }) {
  const what = subject.address ? addressSlug(subject.address) : nicSlug(subject.nicRef);
  return `${provider}-${action}-${what}`;
}

/**
 * Same input → same key (`aws|assign-secondary-ip|eni-0abc|10.88.60.9/32`). The key names the desired
 * state change, not the observation: a refreshed observation of a claimed address keeps its key, so an
 * executor's journal sees a repeat, not new work.
 */
export function idempotencyKey(provider: Provider, action: Action, nicRef: string, address?: string): string {
  const parts: string[] = [provider, action, nicRef];
  if (address) parts.push(`${hostAddress(address)}/32`);
  return parts.join('|');
}
