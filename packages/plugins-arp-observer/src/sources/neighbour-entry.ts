/**
 * One row of the kernel neighbour table, whichever source it came from (`ip -j neigh show`,
 * `ip monitor neigh`, `/proc/net/arp`), and what it says about the client's presence.
 */
export interface NeighbourEntry {
  address: string;
  interface?: string;
  /** Lowercase colon form; absent for INCOMPLETE/FAILED entries. */
  mac?: string;
  /** NUD state words as printed by iproute2 (several may be set), or `VALID` from /proc/net/arp. */
  states: string[];
  /** Flag words such as `router`, `proxy`, `extern_learn`. */
  flags: string[];
  /** When the kernel last confirmed reachability (ms epoch), from `ip -s`'s `confirmed` age. */
  confirmedAt?: number;
  /** `ip monitor`'s `Deleted …`: the entry left the table. */
  deleted?: boolean;
}

/** What a neighbour entry proves. */
export type NeighbourEvidence =
  /** REACHABLE/DELAY/PROBE: the kernel has recent proof the client answers. */
  | 'positive'
  /** STALE: neither proof of presence nor of absence; the kernel may keep it for ever below gc_thresh1. */
  | 'neutral'
  /** FAILED/INCOMPLETE, or deleted: resolution failed or the entry is gone. */
  | 'negative'
  /** NOARP/PERMANENT (static or our own), proxy entries: not a client sighting at all. */
  | 'ignore';

const POSITIVE = new Set(['REACHABLE', 'DELAY', 'PROBE', 'VALID']);
const NEGATIVE = new Set(['FAILED', 'INCOMPLETE']);
const STATIC = new Set(['NOARP', 'PERMANENT']);
const ZERO_MAC = '00:00:00:00:00:00';

export function neighbourEvidence(entry: NeighbourEntry): NeighbourEvidence {
  if (entry.deleted) return 'negative';
  if (entry.flags.includes('proxy')) return 'ignore';
  if (entry.states.some((s) => STATIC.has(s))) return 'ignore';
  if (entry.states.some((s) => NEGATIVE.has(s))) return 'negative';
  // A "positive" row without a usable link-layer address proves nothing about a client.
  const hasMac = entry.mac !== undefined && entry.mac !== ZERO_MAC;
  if (entry.states.some((s) => POSITIVE.has(s))) return hasMac ? 'positive' : 'neutral';
  return 'neutral';
}

const MAC_PATTERN = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** "AA:BB:…" → "aa:bb:…"; anything that is not a 6-byte colon MAC (InfiniBand, `06-…` prefixes) → undefined. */
export function normaliseMac(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const mac = text.toLowerCase();
  return MAC_PATTERN.test(mac) ? mac : undefined;
}
