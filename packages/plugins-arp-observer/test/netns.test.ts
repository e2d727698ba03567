import { type Event, type EventDraft, foldAddressEvents } from '@routerd/plugin-sdk';
import { spawnTestHost } from '@routerd/plugin-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, pluginExecutable, sleep, waitFor } from './helpers.js';
import { childrenOf, NetnsLab } from './lib/netns-lab.mjs';

/**
 * The built plugin as a real child process (through the host-side PluginProcess), observing the real
 * kernel neighbour table of a network namespace. Short timings: ttl 3 s (refresh every 1.5 s), absentAfter 2 s.
 */
const TTL_MS = 3000;
const ABSENT_AFTER_MS = 2000;
// Client addresses: 9 and 13 are plain clients, 10 is captured, 11 excluded, 12 for the gap test, 200 outside the
// domain; 14–17 for the issue 15 tests (a client that left, a new client, a superseded one, a flapping one).
const CLIENTS = [9, 10, 11, 12, 13, 14, 15, 16, 17, 200];

const lab = new NetnsLab();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

type Publication = { draft: EventDraft; at: number };

const monitorSubscribed = (host: { process: { stderrTail: { toString(): string } } }) =>
  host.process.stderrTail.toString().includes('"msg":"ip monitor subscribed"');

async function startObserver(overrides: Record<string, unknown> = {}, { waitForMonitor = true } = {}) {
  const published: Publication[] = [];
  const host = await spawnTestHost(
    { executable: pluginExecutable },
    {
      granted: ['observe.events'],
      config: {
        domains: [{ name: 'lab', cidrs: [`${lab.net}.0/25`], interfaces: [lab.routerIf] }],
        ownerSide: 'onprem',
        ipCommand: lab.ipCommand,
        ttl: `${TTL_MS / 1000}s`,
        absentAfter: `${ABSENT_AFTER_MS / 1000}s`,
        // Long on purpose: anything seen within a test came from the monitor or a gap-triggered resync.
        resyncEvery: '60s',
        captured: [lab.addr(10)],
        exclude: [lab.addr(11)],
        ...overrides,
      },
      onPublish: ({ events }) => {
        const at = Date.now();
        for (const draft of events) published.push({ draft, at });
        return { accepted: events.map((e) => e.id!), duplicates: [], rejected: [] };
      },
    },
  );
  await waitFor('the first snapshot (armed)', () =>
    host.process.stderrTail.toString().includes('"msg":"armed"') ? true : undefined,
  );
  // What a test changes from here is seen by the monitor, not only by the next dump.
  if (waitForMonitor)
    await waitFor('the monitor subscribed', () => (monitorSubscribed(host) ? true : undefined));
  const find = (type: 'observed' | 'expired', host_: number) =>
    published.filter(
      (p) =>
        p.draft.type === `routerd.client.ipv4.${type}` && p.draft.payload.address === `${lab.addr(host_)}/32`,
    );
  return { host, published, find };
}

describe('in real network namespaces (root)', () => {
  beforeAll(async () => {
    lab.create(CLIENTS);
    await waitFor('veth carrier', () => (lab.linksUp() ? true : undefined));
  });
  afterAll(() => lab.destroy());

  const freshTable = () => lab.routerIp(['neigh', 'flush', 'dev', lab.routerIf]);

  it('observed within 1 s of resolution, refreshed every ttl/2 with the same id, expired only after absentAfter once deleted', async () => {
    freshTable();
    const { host, find } = await startObserver();
    try {
      const t0 = Date.now();
      lab.resolve(9);
      const observed = await waitFor('observed', () => find('observed', 9)[0], 3000);
      expect(observed.at - t0).toBeLessThan(1000);
      expect(observed.draft).toMatchObject({
        dedupeKey: `lab/${lab.addr(9)}`,
        payload: { interface: lab.routerIf, domain: 'lab', ownerSide: 'onprem', source: 'arp' },
      });
      expect(observed.draft.payload.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);

      await sleep(5000);
      const pubs = find('observed', 9);
      expect(pubs.length).toBeGreaterThanOrEqual(3);
      expect(pubs.length).toBeLessThanOrEqual(5); // 1.5 s cadence over ~5 s: no storm
      for (let i = 1; i < pubs.length; i++) {
        expect(pubs[i]!.draft.id).toBe(observed.draft.id);
        expect(pubs[i]!.at - pubs[i - 1]!.at).toBeGreaterThanOrEqual(TTL_MS / 3);
        expect(pubs[i]!.at).toBeLessThan(Date.parse(pubs[i - 1]!.draft.expiresAt!));
        expect(Date.parse(pubs[i]!.draft.expiresAt!)).toBeGreaterThan(
          Date.parse(pubs[i - 1]!.draft.expiresAt!),
        );
      }

      const deletedAt = Date.now();
      lab.routerIp(['neigh', 'del', lab.addr(9), 'dev', lab.routerIf]);
      const expired = await waitFor('expired', () => find('expired', 9)[0], ABSENT_AFTER_MS + 3000);
      expect(expired.at - deletedAt).toBeGreaterThanOrEqual(ABSENT_AFTER_MS);
      expect(expired.at - deletedAt).toBeLessThan(ABSENT_AFTER_MS + 1500);
      expect(expired.draft.id).toBe(`${observed.draft.id}.expired`);
      expect(find('expired', 9)).toHaveLength(1);
    } finally {
      await host.close();
    }
  });

  it('a monitor that joins late misses nothing: the dump taken once it has joined finds what changed before', async () => {
    freshTable();
    const { host, find } = await startObserver(
      { ipCommand: [fixturePath('late-monitor-ip.sh'), ...lab.ipCommand] },
      { waitForMonitor: false },
    );
    try {
      // Armed from the first dump, while the monitor has not joined yet: this change is in no line.
      expect(monitorSubscribed(host)).toBe(false);
      lab.resolve(13);
      // Found by the dump taken once the monitor has joined (resyncs are 1 s apart), not by the 60 s timer.
      const observed = await waitFor('observed', () => find('observed', 13)[0], 4000);
      expect(monitorSubscribed(host)).toBe(true);
      expect(observed.draft.payload).toMatchObject({ domain: 'lab', source: 'arp' });
    } finally {
      await host.close();
    }
  });

  it('no event for our own addresses and MACs, captured, excluded or out-of-domain addresses', async () => {
    freshTable();
    const { host, published, find } = await startObserver();
    try {
      // Entries the kernel would hold if our own traffic or proxy-ARP capture were reflected back at us.
      lab.routerIp([
        'neigh',
        'replace',
        lab.addr(1),
        'lladdr',
        '02:00:00:00:00:01',
        'dev',
        lab.routerIf,
        'nud',
        'reachable',
      ]);
      lab.routerIp([
        'neigh',
        'replace',
        lab.addr(20),
        'lladdr',
        lab.routerMac(),
        'dev',
        lab.routerIf,
        'nud',
        'reachable',
      ]);
      lab.resolve(10); // captured
      lab.resolve(11); // excluded
      lab.resolve(200); // outside 10.231.n.0/25
      lab.resolve(13); // a client: the control
      await waitFor('the control observation', () => find('observed', 13)[0], 3000);
      await sleep(500);
      const entries = lab.routerIp(['-4', 'neigh', 'show']);
      for (const h of [1, 10, 11, 13, 20, 200]) expect(entries).toContain(`${lab.addr(h)} `);
      expect(new Set(published.map((p) => p.draft.payload.address))).toEqual(new Set([`${lab.addr(13)}/32`]));
    } finally {
      await host.close();
    }
  });

  it('a client already in the table at start is reported from the first snapshot', async () => {
    freshTable();
    lab.resolve(9);
    const { host, published } = await startObserver();
    try {
      await waitFor('the snapshot observation', () => published[0], 2000);
      expect(published.map((p) => p.draft.payload.address)).toEqual([`${lab.addr(9)}/32`]);
    } finally {
      await host.close();
    }
  });

  it('resyncs after a monitor gap: a change made while the monitor was down is found without waiting for the timer', async () => {
    freshTable();
    const { host, find } = await startObserver();
    try {
      const monitor = await waitFor('the ip monitor child', () =>
        childrenOf(host.process.pid!).find((c) => c.cmdline.includes('monitor')),
      );
      // Freeze the monitor, change the table, then kill it: the netlink messages it had queued die with it.
      process.kill(monitor.pid, 'SIGSTOP');
      lab.resolve(12);
      await sleep(300);
      expect(find('observed', 12)).toEqual([]);
      const killedAt = Date.now();
      process.kill(monitor.pid, 'SIGKILL');
      const observed = await waitFor('observed after the resync', () => find('observed', 12)[0], 3000);
      expect(observed.at - killedAt).toBeLessThan(1500);
      const restarted = await waitFor('a new ip monitor child', () =>
        childrenOf(host.process.pid!).find((c) => c.cmdline.includes('monitor') && c.pid !== monitor.pid),
      );
      expect(restarted.pid).not.toBe(monitor.pid);
      // The plugin leaves nothing running behind it (protocol R-L10): the monitor goes with it.
      await host.close();
      await waitFor('the monitor to exit with the plugin', () =>
        processAlive(restarted.pid) ? undefined : true,
      );
    } finally {
      await host.close();
    }
  });

  it('link down flushes the table: expired only after absentAfter', async () => {
    freshTable();
    const { host, find } = await startObserver();
    try {
      lab.resolve(9);
      await waitFor('observed', () => find('observed', 9)[0], 3000);
      const downAt = Date.now();
      lab.routerIp(['link', 'set', lab.routerIf, 'down']);
      const expired = await waitFor('expired', () => find('expired', 9)[0], ABSENT_AFTER_MS + 3000);
      expect(expired.at - downAt).toBeGreaterThanOrEqual(ABSENT_AFTER_MS);
      expect(expired.at - downAt).toBeLessThan(ABSENT_AFTER_MS + 1500);
    } finally {
      await host.close();
      lab.routerIp(['link', 'set', lab.routerIf, 'up']);
    }
  });

  describe('issue 15: the kernel state transitions as they are', () => {
    it('a client that left is not observed when the router merely sends to it (DELAY/PROBE are no presence)', async () => {
      freshTable();
      // The client was here (its ARP request made a STALE entry) and left; its entry stays STALE.
      lab.arrive(14);
      lab.leave(14);
      await sleep(ABSENT_AFTER_MS + 1500); // heard longer ago than absentAfter (ages are whole seconds)
      const { host, find } = await startObserver();
      try {
        expect(lab.routerState(14)).toBe('STALE');
        // Traffic towards it: STALE → DELAY (the kernel does not announce it) → PROBE after 5 s → FAILED.
        lab.resolve(14);
        await waitFor(
          'the probe of the departed client to fail',
          () => (lab.routerState(14) === 'FAILED' ? true : undefined),
          20_000,
        );
        await sleep(500);
        expect([...find('observed', 14), ...find('expired', 14)]).toEqual([]);
      } finally {
        await host.close();
        lab.rejoin(14);
      }
    }, 45_000);

    it('a new client is observed from its first kernel notification: STALE, made by its own ARP request', async () => {
      freshTable();
      const { host, find } = await startObserver();
      try {
        lab.arrive(15);
        const observed = await waitFor('observed', () => find('observed', 15)[0], 5000);
        // Published while the entry is still unconfirmed STALE: the router never sent to it, so no PROBE or
        // REACHABLE line (what presence used to wait for) can have come, and resyncEvery is 60 s.
        expect(lab.routerState(15)).toBe('STALE');
        expect(observed.draft.payload).toMatchObject({
          mac: lab.clientMac(),
          interface: lab.routerIf,
          source: 'arp',
        });
      } finally {
        await host.close();
      }
    });

    it('another MAC taking the address ends the old episode: expired for it, observed for the new owner', async () => {
      freshTable();
      const oldMac = lab.clientMac();
      const newMac = '02:15:00:00:00:16';
      const { host, published, find } = await startObserver();
      try {
        lab.resolve(16);
        const first = await waitFor('observed', () => find('observed', 16)[0], 3000);
        expect(first.draft.payload.mac).toBe(oldMac);
        lab.setClientMac(newMac, true);
        const expired = await waitFor('the old episode expired', () => find('expired', 16)[0], 5000);
        expect(expired.draft.id).toBe(`${first.draft.id}.expired`);
        expect(expired.draft.payload.mac).toBe(oldMac);
        const second = await waitFor('the new owner observed', () =>
          find('observed', 16).find((p) => p.draft.payload.mac === newMac),
        );
        expect(second.draft.id).not.toBe(first.draft.id);
        // The end of the old episode goes out first: at no point are two owners live, and a consumer's
        // fold of everything published about the address reads the new owner as present.
        expect(published.indexOf(expired)).toBeLessThan(published.indexOf(second));
        const events = published
          .filter((p) => p.draft.payload.address === `${lab.addr(16)}/32`)
          .map((p) => ({ ...p.draft, group: 'lab', sourceNode: 'onprem' }) as Event);
        expect(foldAddressEvents(events).addresses).toEqual([
          expect.objectContaining({ present: true, payload: expect.objectContaining({ mac: newMac }) }),
        ]);
        const sweep = await host.run();
        expect(sweep.status.events?.filter((e) => e.payload.address === `${lab.addr(16)}/32`)).toEqual([
          expect.objectContaining({ id: second.draft.id }),
        ]);
      } finally {
        await host.close();
        lab.setClientMac(oldMac, false);
      }
    });

    it('ten router link flaps (down 1 s, up 1 s) with a short absentAfter: damped after three', async () => {
      freshTable();
      const { host, find } = await startObserver({ ttl: '1s', absentAfter: '300ms' });
      try {
        for (let cycle = 0; cycle < 10; cycle++) {
          lab.resolve(17);
          await sleep(1000);
          lab.routerIp(['link', 'set', lab.routerIf, 'down']); // flushes the table: Deleted
          await sleep(1000);
          lab.routerIp(['link', 'set', lab.routerIf, 'up']);
          await waitFor('veth carrier', () => (lab.linksUp() ? true : undefined));
        }
        await sleep(1000);
        // Undamped, each cycle is one observed and one expired (the unit tests and bench/arp-presence show
        // ten of each); the default damping (RFC 2439: 1000 per flap, suppress above 2000) lets three through.
        const episodes = new Set(find('observed', 17).map((p) => p.draft.id)); // refreshes share an id
        expect(episodes.size).toBe(3);
        expect(find('expired', 17).map((p) => p.draft.id)).toEqual(
          [...episodes].map((id) => `${id}.expired`),
        );
        expect(host.process.stderrTail.toString()).toContain(`flap damping: ${lab.addr(17)} suppressed`);
      } finally {
        await host.close();
        lab.routerIp(['link', 'set', lab.routerIf, 'up']);
      }
    }, 60_000);
  });
});
