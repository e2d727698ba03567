import { appendFileSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventDraft } from '@routerd/plugin-sdk';
import { createTestHost, type TestHost } from '@routerd/plugin-sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createArpObserverPlugin } from '../src/plugin.js';
import { fixture, fixturePath, sleep, waitFor } from './helpers.js';

/** The plugin in-process, with `ip` replaced by test/fixtures/fake-ip.sh answering from files in `dir`. */
describe('observer with a fake ip and real lease files', () => {
  let dir: string;
  let host: (TestHost & { logs: readonly string[] }) | undefined;
  const logs = () => host?.logs ?? [];
  const published: { draft: EventDraft; at: number }[] = [];
  /** While set, the host holds its answers to events/publish until it resolves. */
  let answersHeld: Promise<void> | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'arp-observer-'));
    writeFileSync(join(dir, 'neigh.json'), '[]');
    copyFileSync(fixturePath('ip-addr.json'), join(dir, 'addr.json'));
    writeFileSync(join(dir, 'monitor.txt'), '');
    published.length = 0;
    answersHeld = undefined;
  });
  afterEach(async () => {
    await host?.close();
    host = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (config: Record<string, unknown>, plugin = createArpObserverPlugin()) => {
    host = await createTestHost(plugin, {
      granted: ['observe.events'],
      config: {
        domains: [{ name: 'lan', cidrs: ['10.88.60.0/24'], interfaces: ['br0'] }],
        ipCommand: ['sh', fixturePath('fake-ip.sh'), dir],
        ttl: '3s',
        absentAfter: '1s',
        leasePollEvery: '300ms',
        ...config,
      },
      onPublish: async ({ events }) => {
        const at = Date.now();
        for (const draft of events) published.push({ draft, at });
        await answersHeld;
        return { accepted: events.map((e) => e.id!), duplicates: [], rejected: [] };
      },
    });
  };
  const events = (type: 'observed' | 'expired', address?: string) =>
    published.filter(
      (p) =>
        p.draft.type === `routerd.client.ipv4.${type}` &&
        (address === undefined || p.draft.payload.address === `${address}/32`),
    );

  it('says it has started once armed and its first observations are answered, and only once', async () => {
    writeFileSync(
      join(dir, 'neigh.json'),
      JSON.stringify([
        { dst: '10.88.60.9', dev: 'br0', lladdr: '52:54:00:12:34:56', state: ['REACHABLE'] },
        { dst: '10.88.60.10', dev: 'br0', lladdr: '52:54:00:12:34:57', state: ['REACHABLE'] },
      ]),
    );
    let release!: () => void;
    answersHeld = new Promise((r) => {
      release = r;
    });
    let started = 0;
    await start({ resyncEvery: '1s' }, createArpObserverPlugin({ onStarted: () => started++ }));
    await waitFor('the first observations published', () => events('observed').length === 2 || undefined);
    await sleep(200);
    expect(started).toBe(0); // published, not yet answered
    release();
    await waitFor('started', () => started === 1 || undefined);
    // Later resyncs and their publications do not say it again.
    appendFileSync(
      join(dir, 'monitor.txt'),
      '10.88.60.12 dev br0 lladdr 52:54:00:00:00:12 router ref 1 used 0/60/0probes 0 STALE\n',
    );
    await waitFor('a later observation', () => events('observed', '10.88.60.12')[0]);
    await sleep(1500);
    expect(started).toBe(1);
    answersHeld = undefined;
  });

  it('goes on observing when its onStarted hook throws, and says so', async () => {
    await start(
      {},
      createArpObserverPlugin({
        onStarted: () => {
          throw new Error('hook broke');
        },
      }),
    );
    await waitFor('the warning', () =>
      logs().find((l) => l.includes('"msg":"onStarted failed"') && l.includes('hook broke')),
    );
    appendFileSync(
      join(dir, 'monitor.txt'),
      '10.88.60.12 dev br0 lladdr 52:54:00:00:00:12 router ref 1 used 0/60/0probes 0 STALE\n',
    );
    await waitFor('a later observation', () => events('observed', '10.88.60.12')[0]);
  });

  it('reports the table at start, then monitor events, without own, proxy, static or foreign entries', async () => {
    writeFileSync(
      join(dir, 'neigh.json'),
      JSON.stringify([
        { dst: '10.88.60.9', dev: 'br0', lladdr: '52:54:00:12:34:56', state: ['REACHABLE'] },
        { dst: '10.88.60.2', dev: 'br0', lladdr: '52:54:00:00:00:99', state: ['REACHABLE'] }, // our secondary
        { dst: '10.88.60.3', dev: 'br0', lladdr: '52:54:00:00:00:02', state: ['REACHABLE'] }, // our eth1 MAC
        { dst: '10.88.60.4', dev: 'br0', lladdr: '52:54:00:00:00:04', proxy: null, state: ['REACHABLE'] },
        { dst: '10.88.60.5', dev: 'br0', lladdr: '52:54:00:00:00:05', state: ['PERMANENT'] },
        { dst: '10.88.60.6', dev: 'eth1', lladdr: '52:54:00:00:00:06', state: ['REACHABLE'] }, // not br0
      ]),
    );
    await start({});
    await waitFor('the observation from the first snapshot', () => events('observed')[0]);
    const t = Date.now();
    // A new client's ARP request, as `ip -s monitor` prints it: STALE, updated 0 s ago (confirmed is 60 s back).
    appendFileSync(
      join(dir, 'monitor.txt'),
      '10.88.60.12 dev br0 lladdr 52:54:00:00:00:12 router ref 1 used 0/60/0probes 0 STALE\n',
    );
    const viaMonitor = await waitFor('the monitor observation', () => events('observed', '10.88.60.12')[0]);
    expect(viaMonitor.at - t).toBeLessThan(1000);
    await sleep(300);
    expect(new Set(events('observed').map((p) => p.draft.payload.address))).toEqual(
      new Set(['10.88.60.9/32', '10.88.60.12/32']),
    );
    // A plugin/run sweep answers with the observations currently held: the same ids, nothing new.
    const sweep = await host!.run();
    expect(new Set(sweep.status.events?.map((e) => e.id))).toEqual(
      new Set(events('observed').map((p) => p.draft.id)),
    );
    expect(viaMonitor.draft).toMatchObject({
      subject: '10.88.60.12/32',
      dedupeKey: 'lan/10.88.60.12',
      payload: {
        mac: '52:54:00:00:00:12',
        interface: 'br0',
        domain: 'lan',
        ownerSide: 'onprem',
        source: 'arp',
      },
    });
  });

  it('publishes nothing until a full snapshot succeeded, even with leases already read', async () => {
    writeFileSync(join(dir, 'neigh.json'), '[{"dst": "10.88.60.9", "dev"'); // a dump cut short
    writeFileSync(
      join(dir, 'dnsmasq.leases'),
      `${Math.floor(Date.now() / 1000) + 3600} 52:54:00:00:00:30 10.88.60.30 pc *\n`,
    );
    await start({ sources: { dnsmasq: join(dir, 'dnsmasq.leases') } });
    await sleep(800);
    expect(published).toEqual([]);
    writeFileSync(
      join(dir, 'neigh.json'),
      '[{"dst":"10.88.60.9","dev":"br0","lladdr":"52:54:00:12:34:56","state":["REACHABLE"]}]',
    );
    await waitFor(
      'observations after the retried snapshot',
      () => (published.length >= 2 ? true : undefined),
      4000,
    );
    expect(new Set(published.map((p) => `${p.draft.payload.address} ${p.draft.payload.source}`))).toEqual(
      new Set(['10.88.60.9/32 arp', '10.88.60.30/32 dhcp']),
    );
  });

  it('dnsmasq: a new lease line is observed on change; a removed one expires after absentAfter; bad lines are survived', async () => {
    const leases = join(dir, 'dnsmasq.leases');
    writeFileSync(leases, 'garbage line\n');
    await start({ sources: { neighbours: false, dnsmasq: leases } });
    await sleep(300);
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    writeFileSync(leases, `garbage line\n${expiry} 52:54:00:00:00:31 10.88.60.31 tv *\n`);
    const observed = await waitFor('the lease observation', () => events('observed', '10.88.60.31')[0], 3000);
    expect(observed.draft.payload).toMatchObject({
      source: 'dhcp',
      mac: '52:54:00:00:00:31',
      hostname: 'tv',
    });
    const removedAt = Date.now();
    writeFileSync(leases, 'garbage line\n');
    const expired = await waitFor('the expiry', () => events('expired', '10.88.60.31')[0], 4000);
    expect(expired.at - removedAt).toBeGreaterThanOrEqual(1000);
    expect(expired.draft.id).toBe(`${observed.draft.id}.expired`);
  });

  it('ISC dhcpd and Kea lease files are read from their real formats', async () => {
    const now = new Date();
    const fmt = (d: Date) =>
      `${d.getUTCDay()} ${d.toISOString().slice(0, 19).replace('T', ' ').replaceAll('-', '/')}`;
    const ends = new Date(now.getTime() + 3600_000);
    writeFileSync(
      join(dir, 'dhcpd.leases'),
      `${fixture('dhcpd.leases')}\nlease 10.88.60.40 {\n  starts ${fmt(now)};\n  ends ${fmt(ends)};\n  binding state active;\n  hardware ethernet 52:54:00:40:40:40;\n}\n`,
    );
    const expire = Math.floor(ends.getTime() / 1000);
    writeFileSync(
      join(dir, 'kea-leases4.csv'),
      `${fixture('kea-leases4.csv')}10.88.60.41,52:54:00:41:41:41,,3600,${expire},1,0,0,k41,0,,0\n`,
    );
    await start({
      sources: { neighbours: false, iscDhcpd: join(dir, 'dhcpd.leases'), kea: join(dir, 'kea-leases4.csv') },
    });
    await waitFor('both lease observations', () => (events('observed').length >= 2 ? true : undefined));
    await sleep(200);
    // Fixture leases ended in 2024; only the two fresh ones (and ISC's "ends never" one) are present now.
    expect(new Set(events('observed').map((p) => p.draft.payload.address))).toEqual(
      new Set(['10.88.60.40/32', '10.88.60.41/32', '10.88.60.22/32']),
    );
  });

  it('/proc/net/arp fallback: complete rows are sightings; permanent, incomplete and foreign rows are not', async () => {
    await start({ sources: { neighbours: false, procArp: fixturePath('proc-net-arp') } });
    await waitFor('the /proc observation', () => events('observed')[0]);
    await sleep(200);
    expect(events('observed').map((p) => p.draft.payload.address)).toEqual(['10.88.60.9/32']);
  });
});
