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
  /** When the entry last changed state or address (ms epoch), from `ip -s`'s `updated` age. */
  updatedAt?: number;
  /** `ip monitor`'s `Deleted …`: the entry left the table. */
  deleted?: boolean;
}

/** What a neighbour entry proves. */
export type NeighbourEvidence =
  /** REACHABLE (or a complete /proc/net/arp row): the kernel has recent proof the client answers. */
  | 'positive'
  /**
   * STALE, DELAY, PROBE: not proof on their own. DELAY and PROBE are the kernel checking an entry it has
   * no recent proof for, because the router sent to it — traffic towards a client that left looks the
   * same. Such an entry is presence only while the kernel's evidence (`heardAt`) is recent.
   */
  | 'neutral'
  /** FAILED/INCOMPLETE, or deleted: resolution failed or the entry is gone. */
  | 'negative'
  /** NOARP/PERMANENT (static or our own), proxy entries: not a client sighting at all. */
  | 'ignore';

/** VALID is /proc/net/arp's "complete": it cannot tell REACHABLE from STALE, so it is taken as REACHABLE. */
const POSITIVE = new Set(['REACHABLE', 'VALID']);
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

/**
 * The last moment the entry proves the client was there (ms epoch), from the kernel's ages:
 * - `confirmed`: the last reachability confirmation (an ARP reply, a TCP ack). A brand-new entry's
 *   `confirmed` is set 2 × base_reachable_time in the past (60 s by default), so it never says "new".
 * - `updated`, for STALE only: an entry enters STALE when a frame from the client arrives (its ARP
 *   request creates the entry, a gratuitous ARP or a new MAC updates it, a FAILED entry hears from it
 *   again) or when REACHABLE times out, which follows a confirmation by at most reachable_time. Either
 *   way the client was there then. DELAY and PROBE are entered because the *router* sent to the entry,
 *   so their `updated` proves nothing.
 */
export function lastHeardAt(entry: NeighbourEntry): number | undefined {
  const stale = entry.states.includes('STALE');
  const updated = stale ? entry.updatedAt : undefined;
  if (entry.confirmedAt === undefined) return updated;
  return updated === undefined ? entry.confirmedAt : Math.max(entry.confirmedAt, updated);
}

const MAC_PATTERN = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** "AA:BB:…" → "aa:bb:…"; anything that is not a 6-byte colon MAC (InfiniBand, `06-…` prefixes) → undefined. */
export function normaliseMac(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const mac = text.toLowerCase();
  return MAC_PATTERN.test(mac) ? mac : undefined;
}
