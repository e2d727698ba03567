import { ClientIpv4Payload, type Event, EventDraft, foldAddressEvents, validate } from '@routerd/plugin-sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { toDraft } from '../src/presence/drafts.js';
import {
  type NeighbourSighting,
  type PresenceChange,
  type PresenceTimings,
  PresenceTracker,
} from '../src/presence/tracker.js';
import type { Lease } from '../src/sources/leases/lease.js';

const T0 = Date.UTC(2026, 10, 27, 6, 0, 0);
const DEFAULTS: PresenceTimings = { ttlMs: 300_000, refreshEveryMs: 150_000, absentAfterMs: 180_000 };
const A = '10.88.60.9';
const MAC = '52:54:00:12:34:56';
const OTHER = '52:54:00:aa:aa:aa';

const sighting = (
  evidence: NeighbourSighting['evidence'],
  extra: Partial<NeighbourSighting> = {},
): NeighbourSighting => ({
  address: A,
  domain: 'lan',
  interface: 'br0',
  mac: evidence === 'negative' ? undefined : MAC,
  evidence,
  ...extra,
});

/** A tracker with an injected clock: `at(ms)` moves time, `tick()` evaluates like the observer's timer. */
class Harness {
  now = T0;
  readonly tracker: PresenceTracker;
  readonly changes: (PresenceChange & { t: number })[] = [];

  constructor(timings: PresenceTimings = DEFAULTS) {
    this.tracker = new PresenceTracker(timings);
  }

  at(offsetMs: number): this {
    this.now = T0 + offsetMs;
    return this;
  }

  record(changes: PresenceChange[]): PresenceChange[] {
    // Copy the episode: the tracker mutates it on refresh, the log must keep what was published then.
    for (const c of changes) this.changes.push({ ...c, episode: { ...c.episode }, t: this.now });
    return changes;
  }

  tick(): PresenceChange[] {
    return this.record(this.tracker.evaluate(this.now));
  }

  /** Evaluate every `stepMs` from the current time up to `untilOffsetMs`. */
  runUntil(untilOffsetMs: number, stepMs = 1000): void {
    while (this.now < T0 + untilOffsetMs) {
      this.now = Math.min(this.now + stepMs, T0 + untilOffsetMs);
      this.tick();
    }
  }

  monitor(s: NeighbourSighting | undefined, address = A): PresenceChange[] {
    this.tracker.applyNeighbourUpdate(address, s, this.now);
    return this.record(this.tracker.evaluateAddress(address, this.now));
  }

  kinds(): string[] {
    return this.changes.filter((c) => c.kind !== 'refreshed').map((c) => `${c.kind}@${(c.t - T0) / 1000}`);
  }
}

describe('presence tracker (injected clock)', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });

  it('publishes nothing before the first snapshot is complete, then reports what is present', () => {
    h.monitor(sighting('positive'));
    expect(h.tick()).toEqual([]);
    h.tracker.applyNeighbourSnapshot([sighting('positive')], h.now, h.now);
    expect(h.tick()).toEqual([]);
    h.at(500);
    h.tracker.arm();
    const [change] = h.tick();
    expect(change).toMatchObject({
      kind: 'observed',
      episode: { address: A, mac: MAC, source: 'arp', startedAt: T0 + 500 },
    });
  });

  it('is present promptly on REACHABLE', () => {
    h.tracker.arm();
    expect(h.monitor(sighting('positive'))).toMatchObject([{ kind: 'observed', episode: { startedAt: T0 } }]);
  });

  it('DELAY/PROBE towards a client last heard long ago is no presence (no ghost observation)', () => {
    // The client left 29 s ago (absentAfter 20 s here); the router sends to it: DELAY, then PROBE.
    h = new Harness({ ...DEFAULTS, absentAfterMs: 20_000 });
    h.tracker.arm();
    h.monitor(sighting('neutral', { heardAt: T0 - 29_000 })); // PROBE, confirmed 29 s ago
    h.at(3000).monitor(sighting('negative', { mac: undefined })); // FAILED
    h.runUntil(600_000, 10_000);
    expect(h.changes).toEqual([]);
  });

  it("a neighbour entry heard within absentAfter is presence, whatever its state (a new client's STALE)", () => {
    h.tracker.arm();
    // Created by the client's own ARP request: STALE, updated 0 s ago → heardAt = now.
    expect(h.monitor(sighting('neutral', { heardAt: T0 }))).toMatchObject([
      { kind: 'observed', episode: { startedAt: T0, source: 'arp', mac: MAC } },
    ]);
  });

  it('refreshes at ttl/2 with the same event id and a later expiry, never more often than ttl/3', () => {
    h.tracker.arm();
    h.monitor(sighting('positive'));
    h.runUntil(20 * 60_000, 1000);
    const pubs = h.changes.filter((c) => c.kind === 'observed' || c.kind === 'refreshed');
    const drafts = pubs.map((c) => toDraft(c, 'onprem', DEFAULTS.ttlMs));
    expect(new Set(drafts.map((d) => d.id)).size).toBe(1);
    expect(new Set(drafts.map((d) => d.dedupeKey))).toEqual(new Set(['lan/10.88.60.9']));
    expect(pubs.length).toBe(9); // observed at 0, refreshes every 150 s up to 20 min
    for (let i = 1; i < pubs.length; i++) {
      const gap = pubs[i]!.t - pubs[i - 1]!.t;
      expect(gap).toBeGreaterThanOrEqual(DEFAULTS.ttlMs / 3);
      // Each refresh lands before the previous publication expires.
      expect(pubs[i]!.t).toBeLessThan(Date.parse(drafts[i - 1]!.expiresAt!));
      expect(Date.parse(drafts[i]!.expiresAt!)).toBeGreaterThan(Date.parse(drafts[i - 1]!.expiresAt!));
      expect(drafts[i]!.observedAt).toBe(drafts[0]!.observedAt);
    }
  });

  it('expires only after absentAfter (default 180 s) without evidence, once the entry is gone', () => {
    h.tracker.arm();
    h.monitor(sighting('positive'));
    h.at(10_000).monitor(undefined); // ip neigh del
    h.runUntil(10_000 + 179_999, 1000);
    expect(h.kinds()).toEqual(['observed@0']);
    h.at(190_000).tick();
    expect(h.kinds()).toEqual(['observed@0', 'expired@190']);
    const expired = h.changes.at(-1)!;
    const draft = toDraft(expired, 'onprem', DEFAULTS.ttlMs);
    expect(draft.type).toBe('routerd.client.ipv4.expired');
    expect(draft.id).toBe(`arp.lan.10-88-60-9.${T0}.expired`);
    expect(draft.dedupeKey).toBe('lan/10.88.60.9');
  });

  it('FAILED and INCOMPLETE count as absence too', () => {
    h.tracker.arm();
    h.monitor(sighting('positive'));
    h.at(1000).monitor(sighting('negative', { mac: undefined }));
    h.runUntil(1000 + 180_000, 5000);
    expect(h.kinds()).toEqual(['observed@0', 'expired@181']);
  });

  it('a flap shorter than absentAfter produces nothing', () => {
    h.tracker.arm();
    h.monitor(sighting('positive'));
    for (let cycle = 0; cycle < 5; cycle++) {
      const base = cycle * 200_000;
      h.at(base + 10_000).monitor(sighting('negative'));
      h.runUntil(base + 170_000, 10_000);
      h.at(base + 175_000).monitor(sighting('positive'));
      h.runUntil(base + 199_000, 10_000);
    }
    expect(h.kinds()).toEqual(['observed@0']);
    // …and the observation was kept alive all along with the same id.
    expect(new Set(h.changes.map((c) => c.episode.startedAt))).toEqual(new Set([T0]));
  });

  it('STALE alone never expires, however long it lasts', () => {
    h.tracker.arm();
    h.monitor(sighting('positive'));
    h.at(30_000).monitor(sighting('neutral'));
    h.runUntil(6 * 3600_000, 30_000);
    expect(h.kinds()).toEqual(['observed@0']);
    expect(h.changes.filter((c) => c.kind === 'refreshed').length).toBeGreaterThan(100);
  });

  it('never reports expired for an address not seen present since start', () => {
    h.monitor(sighting('positive'));
    h.at(1000).monitor(undefined); // came and went before the first snapshot completed
    h.tracker.applyNeighbourSnapshot([sighting('negative', { address: '10.88.60.10' })], h.now, h.now);
    h.tracker.arm();
    h.runUntil(3600_000, 10_000);
    expect(h.changes).toEqual([]);
  });

  it('a full snapshot without the address is evidence it is gone', () => {
    h.tracker.arm();
    h.tracker.applyNeighbourSnapshot([sighting('positive')], h.now, h.now);
    h.tick();
    h.at(30_000);
    h.tracker.applyNeighbourSnapshot([], h.now, h.now);
    h.runUntil(30_000 + 180_000, 1000);
    expect(h.kinds()).toEqual(['observed@0', 'expired@210']);
  });

  it('a snapshot taken before a monitor event does not undo it', () => {
    h.tracker.arm();
    const takenAt = h.now;
    h.at(50).monitor(sighting('positive'));
    h.at(100);
    h.tracker.applyNeighbourSnapshot([], takenAt, h.now); // dumped before the client appeared
    h.runUntil(3600_000, 10_000);
    expect(h.kinds()).toEqual(['observed@0.05']);
  });

  it('STALE heard within absentAfter counts as present at start; heard long ago does not', () => {
    h.tracker.applyNeighbourSnapshot(
      [
        sighting('neutral', { heardAt: T0 - 60_000 }),
        sighting('neutral', { address: '10.88.60.10', mac: '52:54:00:00:00:10', heardAt: T0 - 600_000 }),
      ],
      h.now,
      h.now,
    );
    h.tracker.arm();
    h.tick();
    expect(h.changes.map((c) => c.episode.address)).toEqual([A]);
  });

  it('a new MAC on the address ends the old episode (expired) and is a new fact (observed, new id)', () => {
    h.tracker.arm();
    h.monitor(sighting('positive'));
    h.at(5000).monitor(sighting('positive', { mac: '52:54:00:aa:aa:aa' }));
    expect(h.changes.map((c) => `${c.kind} ${c.episode.mac}@${(c.t - T0) / 1000}`)).toEqual([
      `observed ${MAC}@0`,
      `expired ${MAC}@5`,
      'observed 52:54:00:aa:aa:aa@5',
    ]);
    const drafts = h.changes.map((c) => toDraft(c, 'onprem', DEFAULTS.ttlMs));
    const [first, expired, second] = drafts;
    expect(expired!.id).toBe(`${first!.id}.expired`);
    // The old owner's end is dated a millisecond before the new owner's start…
    expect(expired!.observedAt).toBe(new Date(T0 + 4999).toISOString());
    expect(second!.observedAt).toBe(new Date(T0 + 5000).toISOString());
    expect(second!.id).not.toBe(first!.id);
    expect(new Set(drafts.map((d) => d.dedupeKey)).size).toBe(1);
    // …so the fold every consumer uses (protocol §10: at one instant an expiry follows an observation)
    // reads the address as present, with the new MAC — in whatever order the events arrive.
    const events = drafts.map((d) => ({ ...d, group: 'edge', sourceNode: 'onprem' }) as Event);
    for (const batch of [events, [...events].reverse()]) {
      const [state] = foldAddressEvents(batch).addresses;
      expect(state).toMatchObject({ present: true, payload: { mac: '52:54:00:aa:aa:aa' } });
    }
    // Only the new owner is held (and answered to a sweep); nothing more happens to the old one.
    expect(h.tracker.presentEpisodes().map((e) => e.mac)).toEqual(['52:54:00:aa:aa:aa']);
    h.runUntil(3600_000, 10_000);
    expect(h.changes.filter((c) => c.kind !== 'refreshed')).toHaveLength(3);
  });

  describe('leases', () => {
    const lease = (extra: Partial<Lease> = {}): Lease => ({
      address: A,
      mac: MAC,
      endsAt: T0 + 3600_000,
      bound: true,
      ...extra,
    });

    it('an active lease makes the client present (source dhcp); the lease ending starts absentAfter', () => {
      h.tracker.arm();
      h.tracker.applyLeases(
        'dnsmasq',
        [{ address: A, domain: 'lan', lease: lease({ endsAt: T0 + 60_000 }) }],
        h.now,
      );
      h.tick();
      expect(h.changes[0]?.episode).toMatchObject({ source: 'dhcp', mac: MAC, interface: undefined });
      h.runUntil(60_000 + 179_000, 1000);
      expect(h.kinds()).toEqual(['observed@0']);
      h.runUntil(60_000 + 181_000, 1000);
      expect(h.kinds()).toEqual(['observed@0', 'expired@240']);
    });

    it('a lease removed from the file (or released) counts as ended', () => {
      h.tracker.arm();
      h.tracker.applyLeases('kea', [{ address: A, domain: 'lan', lease: lease() }], h.now);
      h.tick();
      h.at(10_000);
      h.tracker.applyLeases('kea', [], h.now);
      h.runUntil(10_000 + 180_000, 1000);
      expect(h.kinds()).toEqual(['observed@0', 'expired@190']);
    });

    it('with a STALE neighbour entry, the end of the lease still lets it expire', () => {
      h.tracker.arm();
      h.tracker.applyLeases(
        'iscDhcpd',
        [{ address: A, domain: 'lan', lease: lease({ endsAt: T0 + 10_000 }) }],
        h.now,
      );
      h.monitor(sighting('neutral'));
      h.runUntil(10_000 + 180_000, 1000);
      expect(h.kinds()).toEqual(['observed@0', 'expired@190']);
    });

    it('an unbound lease (ISC free, Kea declined) is not presence', () => {
      h.tracker.arm();
      h.tracker.applyLeases('kea', [{ address: A, domain: 'lan', lease: lease({ bound: false }) }], h.now);
      h.runUntil(60_000);
      expect(h.changes).toEqual([]);
    });
  });

  it('every draft validates against the protocol schemas', () => {
    h.tracker.arm();
    h.monitor(sighting('positive'));
    h.at(1000).monitor(undefined);
    h.runUntil(400_000, 10_000);
    for (const c of h.changes) {
      const d = toDraft(c, 'onprem', DEFAULTS.ttlMs);
      expect(validate(EventDraft, d).ok).toBe(true);
      expect(validate(ClientIpv4Payload, d.payload).ok).toBe(true);
      expect(Date.parse(d.expiresAt!)).toBeGreaterThan(Date.parse(d.observedAt!));
    }
    expect(h.kinds()).toEqual(['observed@0', 'expired@181']);
  });

  describe('DHCP hostname', () => {
    const withLease = (extra: Partial<Lease>) =>
      h.tracker.applyLeases(
        'dnsmasq',
        [{ address: A, domain: 'lan', lease: { address: A, mac: MAC, endsAt: null, bound: true, ...extra } }],
        h.now,
      );

    it('is carried by an episode begun from a lease, unchanged by refreshes', () => {
      h.tracker.arm();
      withLease({ hostname: 'laptop-7' });
      h.runUntil(400_000, 10_000);
      const drafts = h.changes.map((c) => toDraft(c, 'onprem', DEFAULTS.ttlMs));
      expect(drafts.length).toBeGreaterThan(1);
      for (const d of drafts) expect(d.payload).toMatchObject({ hostname: 'laptop-7', source: 'dhcp' });
      expect(new Set(drafts.map((d) => JSON.stringify(d.payload))).size).toBe(1);
    });

    it('is lent to a neighbour sighting only by a lease with the same MAC', () => {
      h.tracker.arm();
      withLease({ hostname: 'laptop-7' });
      h.monitor(sighting('positive'));
      h.tick();
      h.at(1000).monitor(sighting('positive', { mac: '52:54:00:aa:aa:aa' })); // someone else took it
      const observed = h.changes.filter((c) => c.kind === 'observed');
      expect(observed.map((c) => [c.episode.mac, c.episode.hostname])).toEqual([
        [MAC, 'laptop-7'],
        ['52:54:00:aa:aa:aa', undefined],
      ]);
    });

    it('a lease name that is not a hostname is left out of the payload, which stays valid', () => {
      h.tracker.arm();
      withLease({ hostname: 'caf\\303\\251 pc' }); // ISC keeps escaped octets
      h.tick();
      const draft = toDraft(h.changes[0]!, 'onprem', DEFAULTS.ttlMs);
      expect(draft.payload.hostname).toBeUndefined();
      expect(validate(ClientIpv4Payload, draft.payload).ok).toBe(true);
      expect(validate(ClientIpv4Payload, { ...draft.payload, hostname: 'laptop-7.lan.' }).ok).toBe(true);
      expect(validate(ClientIpv4Payload, { ...draft.payload, hostname: 'a b' }).ok).toBe(false);
    });
  });
});

describe('flap damping (injected clock)', () => {
  const DAMPING = {
    penaltyPerFlap: 1000,
    suppressAbove: 2000,
    reuseBelow: 750,
    halfLifeMs: 15 * 60_000,
    penaltyCap: 750 * 2 ** 4, // maxSuppress 60 min
  };
  const SHORT: PresenceTimings = {
    ttlMs: 3000,
    refreshEveryMs: 1500,
    absentAfterMs: 500,
    flapDamping: DAMPING,
  };

  /**
   * The client answers for 1 s, then the router's link goes down for 1 s (entries flushed); the absence
   * outlasts absentAfter (500 ms), so each cycle ends an episode — a flap — 1.5 s into it.
   */
  function flap(h: Harness, cycles: number): void {
    for (let i = 0; i < cycles; i++) {
      const base = h.now - T0;
      h.monitor(sighting('positive'));
      h.runUntil(base + 1000, 100);
      h.monitor(undefined); // Deleted
      h.runUntil(base + 2000, 100);
    }
  }
  const lastFlapAfter = (cycles: number) => T0 + (cycles - 1) * 2000 + 1500;

  it('ten 1 s link flaps: three observed/expired pairs, then the address is suppressed', () => {
    const h = new Harness(SHORT);
    h.tracker.arm();
    flap(h, 10);
    expect(h.kinds()).toEqual([
      'observed@0',
      'expired@1.5',
      'observed@2',
      'expired@3.5',
      'observed@4',
      'expired@5.5',
    ]);
    // Without damping the same flaps publish all ten pairs: the test above is about damping, not timing.
    const undamped = new Harness({ ...SHORT, flapDamping: undefined });
    undamped.tracker.arm();
    flap(undamped, 10);
    expect(undamped.kinds().filter((k) => k.startsWith('expired'))).toHaveLength(10);
  });

  it('while suppressed, flaps still count; once the penalty decays below reuse, observed goes out', () => {
    const h = new Harness(SHORT);
    const notices: string[] = [];
    const tracker = new PresenceTracker(SHORT, (n) => notices.push(`${n.kind}@${(h.now - T0) / 1000}`));
    (h as { tracker: PresenceTracker }).tracker = tracker;
    tracker.arm();
    flap(h, 10);
    expect(notices).toEqual(['suppressed@5.5']);
    const lastFlap = lastFlapAfter(10);
    // Ten flaps in 20 s: nearly 10,000 (the cap is 12,000).
    const penalty = tracker.dampingPenalty(A, lastFlap);
    expect(penalty).toBeGreaterThan(9900);
    expect(penalty).toBeLessThan(10_000);
    // The client comes back and stays: held, and a sweep does not answer with a held episode.
    h.monitor(sighting('positive'));
    expect(tracker.presentEpisodes()).toEqual([]);
    // Reuse when the penalty has halved to 750: log2(penalty / 750) half-lives (about 56 min) after the last flap.
    const reuseAt = Math.ceil(lastFlap + DAMPING.halfLifeMs * Math.log2(penalty / 750));
    h.runUntil(reuseAt - 1 - T0, 1000);
    expect(h.kinds()).toHaveLength(6);
    h.runUntil(reuseAt + 1000 - T0, 1000);
    const last = h.changes.at(-1)!;
    expect(h.kinds()).toHaveLength(7);
    expect(last.kind).toBe('observed');
    expect(last.t).toBeGreaterThanOrEqual(reuseAt);
    expect(notices.at(-1)).toMatch(/^reused@/);
    expect(tracker.presentEpisodes()).toHaveLength(1);
    // The held episode's start is when presence began; its expiry counts from publication.
    const draft = toDraft(last, 'onprem', SHORT.ttlMs);
    expect(draft.observedAt).toBe(new Date(T0 + 20_000).toISOString());
    expect(Date.parse(draft.expiresAt!)).toBe(last.t + SHORT.ttlMs);
  });

  it('suppression lasts at most maxSuppress (60 min) after the last flap, however many flaps came before', () => {
    const h = new Harness(SHORT);
    h.tracker.arm();
    flap(h, 200); // far past the cap
    const lastFlap = lastFlapAfter(200);
    expect(h.tracker.dampingPenalty(A, lastFlap)).toBe(DAMPING.penaltyCap);
    h.monitor(sighting('positive'));
    h.runUntil(lastFlap - T0 + 60 * 60_000 - 1000, 1000);
    expect(h.changes.at(-1)?.kind).toBe('expired');
    h.runUntil(lastFlap - T0 + 60 * 60_000 + 1000, 1000);
    expect(h.changes.at(-1)?.kind).toBe('observed');
  });

  it('an address that went away while suppressed is not reported when the penalty decays, and is forgotten', () => {
    const h = new Harness(SHORT);
    h.tracker.arm();
    flap(h, 4);
    h.monitor(undefined);
    h.runUntil(4 * 3600_000, 60_000);
    expect(h.kinds()).toHaveLength(6);
    expect(h.tracker.dampingPenalty(A, h.now)).toBe(0);
    expect(h.tracker.size).toBe(0);
  });

  it('a MAC change is a flap too: two clients fighting over one address are damped', () => {
    const h = new Harness(SHORT);
    h.tracker.arm();
    for (let i = 0; i < 10; i++) h.at(i * 1000).monitor(sighting('positive', { mac: i % 2 ? MAC : OTHER }));
    const published = h.changes.filter((c) => c.kind !== 'refreshed');
    expect(published.filter((c) => c.kind === 'observed')).toHaveLength(3);
    expect(published.filter((c) => c.kind === 'expired')).toHaveLength(3);
    // Every observed was ended by an expired: no two owners are left live.
    expect(h.tracker.presentEpisodes()).toEqual([]);
  });

  it('one departure and return is not damped (one flap stays under the threshold)', () => {
    const h = new Harness({ ...DEFAULTS, flapDamping: DAMPING });
    h.tracker.arm();
    h.monitor(sighting('positive'));
    h.at(10_000).monitor(undefined);
    h.runUntil(200_000, 10_000);
    h.at(300_000).monitor(sighting('positive'));
    expect(h.kinds()).toEqual(['observed@0', 'expired@190', 'observed@300']);
  });
});
