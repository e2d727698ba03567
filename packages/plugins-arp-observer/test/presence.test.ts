import { ClientIpv4Payload, EventDraft, validate } from '@routerd/plugin-sdk';
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

  it('is present promptly on REACHABLE, DELAY or PROBE', () => {
    h.tracker.arm();
    expect(h.monitor(sighting('positive'))).toMatchObject([{ kind: 'observed', episode: { startedAt: T0 } }]);
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

  it('STALE confirmed within absentAfter counts as present at start; confirmed long ago does not', () => {
    h.tracker.applyNeighbourSnapshot(
      [
        sighting('neutral', { confirmedAt: T0 - 60_000 }),
        sighting('neutral', { address: '10.88.60.10', mac: '52:54:00:00:00:10', confirmedAt: T0 - 600_000 }),
      ],
      h.now,
      h.now,
    );
    h.tracker.arm();
    h.tick();
    expect(h.changes.map((c) => c.episode.address)).toEqual([A]);
  });

  it('a new MAC on the address is a new fact: a new observed event with a new id', () => {
    h.tracker.arm();
    h.monitor(sighting('positive'));
    h.at(5000).monitor(sighting('positive', { mac: '52:54:00:aa:aa:aa' }));
    const observed = h.changes.filter((c) => c.kind === 'observed');
    expect(observed.map((c) => c.episode.mac)).toEqual([MAC, '52:54:00:aa:aa:aa']);
    const ids = observed.map((c) => toDraft(c, 'onprem', DEFAULTS.ttlMs).id);
    expect(ids[0]).not.toBe(ids[1]);
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
});
