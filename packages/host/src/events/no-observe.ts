/**
 * The no-feedback-loop invariant (ADR 0006): a node never stores `*.observed` for an address it captures
 * itself, or its own captured address would be re-observed, propagated back and flap.
 *
 * The set is fed by named sources, each replaced whole when it changes: `config` (every EventGroup's
 * `spec.captured`) today; a later issue adds `claims` (the node's active address claims) the same way.
 */
import {
  type Cidr,
  cidrContains,
  hostAddress,
  type Issue,
  ipv4Number,
  ipv4ToInt,
  parseCidr,
} from '@routerd/plugin-sdk';
import type { FederationConfig } from '../config/index.js';

export interface NoObserveEntry {
  /** An address or CIDR, as written where it came from. */
  cidr: string;
  /** Where it came from, for the refusal message, e.g. `EventGroup/lab spec.captured`. */
  reason: string;
}

/** One source's entries: single addresses by number (a node may hold thousands of claims), and ranges. */
interface SourceEntries {
  parsed: Map<string, Cidr>;
  hosts: Map<number, NoObserveEntry>;
  ranges: { entry: NoObserveEntry; cidr: Cidr }[];
}

export class NoObserveSet {
  private readonly sources = new Map<string, SourceEntries>();

  replace(source: string, entries: readonly NoObserveEntry[]): void {
    // A source is mostly replaced by itself plus or minus a few entries (the held claims after each
    // run): what it held already is not parsed again.
    const before = this.sources.get(source)?.parsed;
    const next: SourceEntries = { parsed: new Map(), hosts: new Map(), ranges: [] };
    for (const entry of entries) {
      const cidr = before?.get(entry.cidr) ?? parseCidr(entry.cidr);
      next.parsed.set(entry.cidr, cidr);
      if (cidr.prefix === 32) {
        if (!next.hosts.has(cidr.network)) next.hosts.set(cidr.network, entry);
      } else next.ranges.push({ entry, cidr });
    }
    this.sources.set(source, next);
  }

  /** Whether no source holds any entry: then no address is captured, and none needs reading. */
  get empty(): boolean {
    for (const { hosts, ranges } of this.sources.values())
      if (hosts.size > 0 || ranges.length > 0) return false;
    return true;
  }

  /**
   * An entry that covers this IPv4 address (dotted text, or its number), if any (sources in the order
   * they were first given). The address is read once and looked up, not compared with every held claim
   * in turn.
   */
  match(address: string | number): NoObserveEntry | undefined {
    const ip = typeof address === 'number' ? address : ipv4ToInt(address);
    for (const { hosts, ranges } of this.sources.values()) {
      const host = hosts.get(ip);
      if (host) return host;
      for (const { entry, cidr } of ranges) if (cidrContains(cidr, ip)) return entry;
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
  if (noObserve.empty || !isObservation(event.type) || typeof address !== 'string') return undefined;
  const ip = ipv4Number(hostAddress(address));
  if (ip === undefined) return undefined;
  const hit = noObserve.match(ip);
  if (!hit) return undefined;
  return {
    path: `${base}/payload/address`,
    message:
      `${address} is captured by this node (${hit.reason} ${hit.cidr}): a node never stores ${event.type} ` +
      'for an address it captures itself, or its own capture would be observed and propagated back (feedback loop)',
  };
}
