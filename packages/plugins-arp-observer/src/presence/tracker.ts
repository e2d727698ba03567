import type { FlapDampingSettings } from '../config.js';
import { isLeaseActive, type Lease } from '../sources/leases/lease.js';
import type { NeighbourEvidence } from '../sources/neighbour-entry.js';
import { type DampingNotice, FlapDamper } from './flap-damping.js';

/** A neighbour-table row that passed the filters, as the tracker sees it. */
export interface NeighbourSighting {
  address: string;
  domain: string;
  interface?: string;
  mac?: string;
  evidence: Exclude<NeighbourEvidence, 'ignore'>;
  /** The last moment the kernel's entry proves the client was there (see `lastHeardAt`), if known. */
  heardAt?: number;
}

/** A lease that passed the filters. */
export interface LeaseSighting {
  address: string;
  domain: string;
  lease: Lease;
}

/** One uninterrupted presence of a client with one identity (MAC): one observed event, refreshed. */
export interface Episode {
  domain: string;
  address: string;
  mac?: string;
  interface?: string;
  source: 'arp' | 'dhcp';
  /** The DHCP hostname of an active lease with the episode's MAC, as known when the episode began. */
  hostname?: string;
  /** When presence began: the observed event's observedAt and part of its id. */
  startedAt: number;
  /** The expiry of the last observed/refreshed publication. */
  expiresAt: number;
  lastPublishedAt: number;
  /**
   * Flap damping holds the address: the episode is tracked (its end is a flap too) but nothing about it
   * is published until the penalty has decayed; then `observed` goes out.
   */
  suppressed: boolean;
}

export type PresenceChange =
  | { kind: 'observed'; episode: Readonly<Episode> }
  | { kind: 'refreshed'; episode: Readonly<Episode> }
  | { kind: 'expired'; episode: Readonly<Episode>; at: number };

export interface PresenceTimings {
  ttlMs: number;
  refreshEveryMs: number;
  absentAfterMs: number;
  /** Undefined: no damping. */
  flapDamping?: FlapDampingSettings;
}

interface AddressRecord {
  address: string;
  domain: string;
  /** Undefined: not in the neighbour table (never seen, deleted, or gone from the last snapshot). */
  neighbour?: NeighbourSighting;
  /** When `neighbour` was last set, so an older snapshot never overwrites a newer monitor event. */
  neighbourSetAt: number;
  leases: Map<string, Lease>;
  /** The last moment positive evidence is known to have held. */
  lastPositiveAt?: number;
  /** An active lease was seen during this episode (or since start): its end is then evidence of absence. */
  hadActiveLease: boolean;
  /** Present iff defined. */
  episode?: Episode;
  /** The start of the last episode, which may have ended: starts (and so event ids) only ever increase. */
  lastStartedAt?: number;
}

/**
 * The per-address presence state machine. It is fed neighbour snapshots, neighbour updates and lease
 * sets, and `evaluate(now)` turns the state into changes; time comes only from the `now` arguments, so
 * tests drive it with an injected clock.
 *
 * - Present promptly on positive evidence (REACHABLE; STALE, DELAY or PROBE whose kernel evidence —
 *   `heardAt` — is within absentAfter; an active lease) → `observed`.
 * - While present, `refreshed` every refreshEvery (same event id, later expiry).
 * - Absent only when there has been no positive evidence for absentAfter AND there is evidence of absence
 *   (FAILED/INCOMPLETE, gone from the table, or the lease it had ended) → `expired`. STALE alone never
 *   expires: the kernel may keep it for ever. A flap shorter than absentAfter therefore produces nothing.
 * - Another MAC on the address ends the episode (`expired`) and starts a new one (`observed`).
 * - An ended episode is a flap for the damper; a suppressed address's episodes are tracked silently.
 * - Nothing is reported until `arm()` (after the first full snapshot and lease read), and `expired` only
 *   ever follows an `observed` of this run.
 */
export class PresenceTracker {
  private readonly records = new Map<string, AddressRecord>();
  private readonly damper?: FlapDamper;
  private armed = false;

  constructor(
    private readonly timings: PresenceTimings,
    onDamping?: (notice: DampingNotice) => void,
  ) {
    if (timings.flapDamping) this.damper = new FlapDamper(timings.flapDamping, onDamping);
  }

  get isArmed(): boolean {
    return this.armed;
  }

  get size(): number {
    return this.records.size;
  }

  /** The first full snapshot and lease read are in: from now on changes are reported. */
  arm(): void {
    this.armed = true;
  }

  /**
   * A full neighbour dump taken at `takenAt`. Addresses missing from it left the table, unless a monitor
   * event about them arrived after the dump was taken (the event is newer than the dump).
   */
  applyNeighbourSnapshot(sightings: NeighbourSighting[], takenAt: number, now: number): void {
    const seen = new Set<string>();
    for (const s of sightings) {
      seen.add(s.address);
      const rec = this.record(s.address, s.domain);
      if (rec.neighbourSetAt > takenAt) continue;
      this.setNeighbour(rec, s, now);
    }
    for (const rec of this.records.values()) {
      if (rec.neighbour && !seen.has(rec.address) && rec.neighbourSetAt <= takenAt) {
        this.setNeighbour(rec, undefined, now);
      }
    }
  }

  /** One neighbour change (from the monitor): a new state, or `undefined` when the entry is gone. */
  applyNeighbourUpdate(address: string, sighting: NeighbourSighting | undefined, now: number): void {
    const rec = sighting ? this.record(address, sighting.domain) : this.records.get(address);
    if (rec) this.setNeighbour(rec, sighting, now);
  }

  /** The complete, current lease set of one lease source: leases no longer in it have ended. */
  applyLeases(source: string, sightings: LeaseSighting[], now: number): void {
    const current = new Map(sightings.map((s) => [s.address, s]));
    for (const rec of this.records.values()) {
      if (rec.leases.has(source) && !current.has(rec.address)) {
        this.notePositiveUntil(rec, now);
        rec.leases.delete(source);
      }
    }
    for (const s of sightings) {
      const rec = this.record(s.address, s.domain);
      this.notePositiveUntil(rec, now);
      rec.leases.set(source, s.lease);
    }
  }

  /** Drop addresses without reporting anything (they turned out to be ours, captured or excluded). */
  forget(predicate: (address: string) => boolean): void {
    for (const address of [...this.records.keys()]) if (predicate(address)) this.records.delete(address);
  }

  evaluate(now: number): PresenceChange[] {
    const changes: PresenceChange[] = [];
    for (const rec of [...this.records.values()]) this.evaluateRecord(rec, now, changes);
    this.damper?.prune(now);
    return changes;
  }

  /** Evaluate one address only: what a monitor event calls for, without walking the whole table. */
  evaluateAddress(address: string, now: number): PresenceChange[] {
    const changes: PresenceChange[] = [];
    const rec = this.records.get(address);
    if (rec) this.evaluateRecord(rec, now, changes);
    return changes;
  }

  /** The current published episodes (not those damping holds back), for sweeps, diagnostics and tests. */
  presentEpisodes(): Readonly<Episode>[] {
    return [...this.records.values()].flatMap((r) => (r.episode && !r.episode.suppressed ? [r.episode] : []));
  }

  /** The address's flap-damping penalty now (0 without damping), for diagnostics and tests. */
  dampingPenalty(address: string, now: number): number {
    return this.damper?.penalty(address, now) ?? 0;
  }

  private record(address: string, domain: string): AddressRecord {
    let rec = this.records.get(address);
    if (!rec) {
      rec = {
        address,
        domain,
        neighbourSetAt: Number.NEGATIVE_INFINITY,
        leases: new Map(),
        hadActiveLease: false,
      };
      this.records.set(address, rec);
    }
    rec.domain = domain;
    return rec;
  }

  /** Positive evidence that held until this change still counts up to now (not only up to the last tick). */
  private notePositiveUntil(rec: AddressRecord, now: number): void {
    if (rec.neighbour?.evidence === 'positive' || this.activeLease(rec, now)) rec.lastPositiveAt = now;
  }

  private setNeighbour(rec: AddressRecord, s: NeighbourSighting | undefined, now: number): void {
    this.notePositiveUntil(rec, now);
    rec.neighbour = s;
    rec.neighbourSetAt = now;
    if (s?.evidence === 'positive') rec.lastPositiveAt = now;
    else if (s?.heardAt !== undefined && s.evidence === 'neutral') {
      const heard = Math.min(s.heardAt, now);
      rec.lastPositiveAt = Math.max(rec.lastPositiveAt ?? heard, heard);
    }
  }

  private activeLease(rec: AddressRecord, now: number): Lease | undefined {
    for (const lease of rec.leases.values()) if (isLeaseActive(lease, now)) return lease;
    return undefined;
  }

  private evaluateRecord(rec: AddressRecord, now: number, changes: PresenceChange[]): void {
    const { absentAfterMs, refreshEveryMs } = this.timings;
    const lease = this.activeLease(rec, now);
    const n = rec.neighbour;
    const neighbourPositive = n?.evidence === 'positive';
    const recentlyHeard =
      n?.evidence === 'neutral' && n.heardAt !== undefined && now - n.heardAt < absentAfterMs;
    if (neighbourPositive || lease) rec.lastPositiveAt = now;
    if (lease) rec.hadActiveLease = true;
    else if (rec.hadActiveLease) {
      // A lease that ran out between two evaluations was evidence up to its end, not only to the last tick.
      for (const l of rec.leases.values()) {
        if (l.bound && l.endsAt !== null && l.endsAt <= now)
          rec.lastPositiveAt = Math.max(rec.lastPositiveAt ?? l.endsAt, l.endsAt);
      }
    }
    const fromNeighbour = neighbourPositive || recentlyHeard;
    const presentNow = fromNeighbour || lease !== undefined;

    if (this.armed) {
      // The neighbour table is authoritative for the MAC while it holds the address; a lease only fills in.
      const mac = (n && n.evidence !== 'negative' ? n.mac : undefined) ?? lease?.mac;
      const ep = rec.episode;
      if (!ep) {
        if (presentNow) this.startEpisode(rec, mac, fromNeighbour, now, changes);
      } else if (presentNow && mac !== undefined && mac !== ep.mac) {
        // A different client now holds the address (or we learnt its MAC): the old episode is over — a
        // consumer keyed by event id must not see two owners — and the new one is a new fact, a new id.
        // The old one ends a millisecond before the new one begins: folds of client events (protocol
        // §10) order an expiry after an observation of the same instant, which would read "gone".
        this.endEpisode(rec, ep, this.nextStart(rec, now) - 1, changes);
        this.startEpisode(rec, mac, fromNeighbour, now, changes);
      } else {
        const neighbourSaysAbsent = n === undefined || n.evidence === 'negative';
        const leaseEnded = rec.hadActiveLease && !lease;
        const absentFor = now - (rec.lastPositiveAt ?? ep.startedAt);
        if (!presentNow && (neighbourSaysAbsent || leaseEnded) && absentFor >= absentAfterMs) {
          rec.hadActiveLease = false;
          this.endEpisode(rec, ep, now, changes);
        } else if (ep.suppressed) {
          if (!this.damper?.isSuppressed(rec.address, now)) this.publishEpisode(ep, now, changes);
        } else if (now - ep.lastPublishedAt >= refreshEveryMs) {
          ep.lastPublishedAt = now;
          ep.expiresAt = now + this.timings.ttlMs;
          changes.push({ kind: 'refreshed', episode: ep });
        }
      }
    }
    if (!rec.episode && rec.neighbour === undefined && rec.leases.size === 0)
      this.records.delete(rec.address);
  }

  private startEpisode(
    rec: AddressRecord,
    mac: string | undefined,
    fromNeighbour: boolean,
    now: number,
    changes: PresenceChange[],
  ): void {
    const startedAt = this.nextStart(rec, now);
    rec.lastStartedAt = startedAt;
    const iface =
      rec.neighbour && rec.neighbour.evidence !== 'negative' ? rec.neighbour.interface : undefined;
    const ep: Episode = {
      domain: rec.domain,
      address: rec.address,
      mac,
      interface: iface,
      source: fromNeighbour ? 'arp' : 'dhcp',
      hostname: this.hostnameFor(rec, mac, now),
      startedAt,
      lastPublishedAt: now,
      expiresAt: now + this.timings.ttlMs,
      suppressed: true,
    };
    rec.episode = ep;
    if (!this.damper?.isSuppressed(rec.address, now)) this.publishEpisode(ep, now, changes);
  }

  /** Episode start times are part of event ids: strictly increasing per address. */
  private nextStart(rec: AddressRecord, now: number): number {
    return rec.lastStartedAt !== undefined && rec.lastStartedAt >= now ? rec.lastStartedAt + 1 : now;
  }

  /** `observed` for an episode: at its start, or once damping lets it through. */
  private publishEpisode(ep: Episode, now: number, changes: PresenceChange[]): void {
    ep.suppressed = false;
    ep.lastPublishedAt = now;
    ep.expiresAt = now + this.timings.ttlMs;
    changes.push({ kind: 'observed', episode: ep });
  }

  /** The episode is over (as of `at`): `expired` if it was published, and a flap either way. */
  private endEpisode(rec: AddressRecord, ep: Episode, at: number, changes: PresenceChange[]): void {
    rec.episode = undefined;
    this.damper?.flap(rec.address, at);
    if (!ep.suppressed) changes.push({ kind: 'expired', episode: ep, at });
  }

  /** A hostname belongs to the lease's client: only a lease with the episode's MAC lends it. */
  private hostnameFor(rec: AddressRecord, mac: string | undefined, now: number): string | undefined {
    for (const lease of rec.leases.values())
      if (lease.hostname !== undefined && lease.mac === mac && isLeaseActive(lease, now))
        return lease.hostname;
    return undefined;
  }
}
