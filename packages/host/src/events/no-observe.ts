/**
 * The no-feedback-loop invariant (ADR 0006): a node never stores `*.observed` for an address it captures
 * itself, or its own captured address would be re-observed, propagated back and flap.
 *
 * The set is fed by named sources, each replaced whole when it changes: `config` (every EventGroup's
 * `spec.captured`) today; a later issue adds `claims` (the node's active address claims) the same way.
 */
import { type Cidr, cidrContains, hostAddress, type Issue, isIPv4, parseCidr } from '@routerd/plugin-sdk';
import type { FederationConfig } from '../config/index.js';

export interface NoObserveEntry {
  /** An address or CIDR, as written where it came from. */
  cidr: string;
  /** Where it came from, for the refusal message, e.g. `EventGroup/lab spec.captured`. */
  reason: string;
}

export class NoObserveSet {
  private readonly sources = new Map<string, { entry: NoObserveEntry; parsed: Cidr }[]>();

  replace(source: string, entries: readonly NoObserveEntry[]): void {
    // A source is mostly replaced by itself plus or minus a few entries (the held claims after each
    // run): what it held already is not parsed again.
    const before = new Map((this.sources.get(source) ?? []).map((e) => [e.entry.cidr, e.parsed]));
    this.sources.set(
      source,
      entries.map((entry) => ({ entry, parsed: before.get(entry.cidr) ?? parseCidr(entry.cidr) })),
    );
  }

  /** The entry that covers this IPv4 address, if any. */
  match(address: string): NoObserveEntry | undefined {
    for (const entries of this.sources.values()) {
      for (const { entry, parsed } of entries) if (cidrContains(parsed, address)) return entry;
    }
    return undefined;
  }
}

/** The `config` source: what every EventGroup says this node captures. */
export function capturedByConfig(config: FederationConfig): NoObserveEntry[] {
  return config.groups.flatMap(({ resource }) =>
    resource.spec.captured.map((cidr) => ({
      cidr,
      reason: `EventGroup/${resource.metadata.name} spec.captured`,
    })),
  );
}

export function isObservation(eventType: string): boolean {
  return eventType.endsWith('.observed');
}

/**
 * The refusal for an observation of one of our own addresses, or undefined. Applies to every
 * `*.observed` type (not only the well-known ones) whose payload has a string `address`.
 */
export function feedbackLoopIssue(
  event: { type: string; payload: Record<string, unknown> },
  noObserve: NoObserveSet,
  base: string,
): Issue | undefined {
  const address = event.payload.address;
  if (!isObservation(event.type) || typeof address !== 'string') return undefined;
  const ip = hostAddress(address);
  if (!isIPv4(ip)) return undefined;
  const hit = noObserve.match(ip);
  if (!hit) return undefined;
  return {
    path: `${base}/payload/address`,
    message:
      `${address} is captured by this node (${hit.reason} ${hit.cidr}): a node never stores ${event.type} ` +
      'for an address it captures itself, or its own capture would be observed and propagated back (feedback loop)',
  };
}
