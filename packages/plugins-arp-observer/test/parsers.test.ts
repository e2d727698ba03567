import { describe, expect, it } from 'vitest';
import { parseDnsmasqLeases } from '../src/sources/leases/dnsmasq.js';
import { parseIscDhcpdLeases } from '../src/sources/leases/isc-dhcpd.js';
import { keaLeaseFiles, parseKeaLeases } from '../src/sources/leases/kea-csv.js';
import { isLeaseActive, latestPerAddress } from '../src/sources/leases/lease.js';
import { parseNeighJson } from '../src/sources/neigh-json.js';
import { joinedNeighbourGroup } from '../src/sources/neigh-monitor.js';
import { parseMonitorLine } from '../src/sources/neigh-monitor-line.js';
import { lastHeardAt, neighbourEvidence } from '../src/sources/neighbour-entry.js';
import { parseOwnIdentity } from '../src/sources/own-identity.js';
import { parseProcArp } from '../src/sources/proc-arp.js';
import { fixture } from './helpers.js';

const byAddress = <T extends { address: string }>(records: T[]) =>
  new Map(records.map((r) => [r.address, r]));

describe('dnsmasq leases file', () => {
  const r = parseDnsmasqLeases(fixture('dnsmasq.leases'));
  const leases = byAddress(r.records);

  it('reads IPv4 lease lines: epoch-second expiry, 0 = infinite, * = no hostname', () => {
    expect(leases.get('10.88.60.9')).toEqual({
      address: '10.88.60.9',
      mac: '52:54:00:12:34:56',
      hostname: 'host',
      endsAt: 1732700000_000,
      bound: true,
    });
    expect(leases.get('10.88.60.10')?.hostname).toBe('laptop-7');
    expect(leases.get('10.88.60.11')?.endsAt).toBeNull();
    expect(leases.get('10.88.60.11')?.hostname).toBeUndefined();
  });

  it('keeps a non-Ethernet lease without a MAC', () => {
    expect(leases.get('10.88.60.12')).toMatchObject({ address: '10.88.60.12', mac: undefined });
  });

  it('skips and counts malformed lines, and stops at the IPv6 duid section', () => {
    expect(r.records.map((l) => l.address)).toEqual([
      '10.88.60.9',
      '10.88.60.10',
      '10.88.60.11',
      '10.88.60.12',
    ]);
    expect(r.skipped).toBe(3);
    expect(r.samples[0]).toBe('this line is not a lease');
  });

  it('activity follows the expiry time', () => {
    const lease = leases.get('10.88.60.9')!;
    expect(isLeaseActive(lease, 1732700000_000 - 1)).toBe(true);
    expect(isLeaseActive(lease, 1732700000_000)).toBe(false);
    expect(isLeaseActive(leases.get('10.88.60.11')!, Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('never throws on arbitrary text', () => {
    expect(parseDnsmasqLeases('\0\0\n}}}{{{\n1 2\n').skipped).toBe(3);
  });
});

describe('ISC dhcpd.leases', () => {
  const r = parseIscDhcpdLeases(fixture('dhcpd.leases'));
  const leases = byAddress(latestPerAddress(r.records));

  it('reads lease blocks: UTC times, binding state, hardware ethernet, client-hostname', () => {
    expect(leases.get('10.88.60.26')).toEqual({
      address: '10.88.60.26',
      mac: '52:54:00:26:26:26',
      hostname: 'tablet',
      endsAt: Date.UTC(2024, 10, 27, 21, 0, 0),
      bound: true,
    });
    expect(leases.get('10.88.60.21')?.bound).toBe(false); // binding state free
    expect(leases.get('10.88.60.22')?.endsAt).toBeNull(); // ends never
    expect(leases.get('10.88.60.23')?.endsAt).toBe(1732741200_000); // db-time-format local: epoch
  });

  it('the last block for an address is the current one', () => {
    expect(leases.get('10.88.60.20')?.endsAt).toBe(Date.UTC(2024, 10, 27, 22, 0, 0));
  });

  it('quoted strings may contain ; { } and nested blocks are skipped', () => {
    expect(leases.get('10.88.60.22')?.mac).toBe('52:54:00:22:22:22');
  });

  it('skips and counts unreadable blocks: bad address, bad date, missing }, cut off at the end', () => {
    expect([...leases.keys()].sort()).toEqual([
      '10.88.60.20',
      '10.88.60.21',
      '10.88.60.22',
      '10.88.60.23',
      '10.88.60.26',
    ]);
    expect(r.skipped).toBe(4);
    expect(r.samples[0]).toContain('lease 10.88.60.999');
  });

  it('a block that lost its } costs only that block', () => {
    const text =
      'lease 10.0.0.1 {\n starts 1 2024/01/01 00:00:00;\nlease 10.0.0.2 {\n ends never;\n binding state active;\n}\n';
    const res = parseIscDhcpdLeases(text);
    expect(res.records.map((l) => l.address)).toEqual(['10.0.0.2']);
    expect(res.skipped).toBe(1);
  });
});

describe('Kea memfile CSV', () => {
  const r = parseKeaLeases(fixture('kea-leases4.csv'));
  const leases = byAddress(latestPerAddress(r.records));

  it('maps columns by the header and keeps the last row per address', () => {
    expect(leases.get('10.88.60.30')).toEqual({
      address: '10.88.60.30',
      mac: '52:54:00:30:30:30',
      hostname: 'kea-30',
      endsAt: 1732707200_000,
      bound: true,
    });
    expect(leases.get('10.88.60.31')?.bound).toBe(true);
  });

  it('a valid_lifetime 0 row deletes; declined and reclaimed states are not bound', () => {
    expect(leases.get('10.88.60.33')?.bound).toBe(false);
    expect(leases.get('10.88.60.32')?.bound).toBe(false); // state 1: declined
    expect(leases.get('10.88.60.34')?.bound).toBe(false); // state 2: expired-reclaimed
  });

  it('skips and counts rows with the wrong column count or unreadable values', () => {
    expect(r.skipped).toBe(3);
    expect(leases.has('10.88.60.35')).toBe(false);
    expect(leases.has('10.88.60.36')).toBe(false);
  });

  it('reads files written before the state column existed (Kea 1.x header)', () => {
    const old =
      'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname\n10.0.0.5,aa:bb:cc:dd:ee:ff,,60,1732700060,1,0,0,h\n';
    expect(parseKeaLeases(old).records[0]).toMatchObject({
      address: '10.0.0.5',
      bound: true,
      mac: 'aa:bb:cc:dd:ee:ff',
    });
  });

  it('without a header nothing is guessed: every line counts as skipped', () => {
    expect(parseKeaLeases('10.0.0.5,aa:bb:cc:dd:ee:ff,,60,1732700060,1,0,0,h,0,,0\n')).toMatchObject({
      records: [],
      skipped: 1,
    });
  });

  it('follows LFC rotation: .completed replaces .2 and .1', () => {
    const has = (set: string[]) => (p: string) => set.includes(p);
    expect(keaLeaseFiles('/v/l.csv', has(['/v/l.csv.2', '/v/l.csv.1']))).toEqual([
      '/v/l.csv.2',
      '/v/l.csv.1',
      '/v/l.csv',
    ]);
    expect(keaLeaseFiles('/v/l.csv', has(['/v/l.csv.completed', '/v/l.csv.1']))).toEqual([
      '/v/l.csv.completed',
      '/v/l.csv',
    ]);
    expect(keaLeaseFiles('/v/l.csv', has([]))).toEqual(['/v/l.csv']);
  });
});

describe('ip -j -s -4 neigh show', () => {
  const takenAt = 1_000_000_000;
  const r = parseNeighJson(fixture('ip-neigh.json'), takenAt);
  const entries = byAddress(r.records);

  it('reads state arrays, lladdr, flag keys and the confirmed and updated ages', () => {
    expect(entries.get('10.88.60.9')).toEqual({
      address: '10.88.60.9',
      interface: 'br0',
      mac: '52:54:00:12:34:56',
      states: ['REACHABLE'],
      flags: [],
      confirmedAt: takenAt,
      updatedAt: takenAt,
    });
    expect(entries.get('10.88.60.10')?.confirmedAt).toBe(takenAt - 40_000);
    expect(entries.get('10.88.60.10')?.updatedAt).toBe(takenAt - 10_000);
    expect(entries.get('10.88.60.12')?.flags).toEqual(['router']);
    expect(entries.get('10.88.60.11')?.mac).toBeUndefined();
  });

  it('classifies evidence: REACHABLE positive, STALE/DELAY/PROBE neutral, FAILED negative, PERMANENT/proxy ignored', () => {
    const ev = (a: string) => neighbourEvidence(entries.get(a)!);
    expect(ev('10.88.60.9')).toBe('positive');
    // DELAY/PROBE: the kernel checking an entry because the router sent to it — not proof (issue 15).
    expect([ev('10.88.60.10'), ev('10.88.60.12')]).toEqual(['neutral', 'neutral']);
    expect(ev('10.88.60.11')).toBe('negative');
    expect([ev('10.88.60.13'), ev('10.88.60.1')]).toEqual(['ignore', 'ignore']);
  });

  it('last heard: confirmed, or for STALE the later of confirmed and updated; never DELAY/PROBE updated', () => {
    // STALE confirmed 40 s ago, entered STALE 10 s ago (a frame from the client, or REACHABLE timing out).
    expect(lastHeardAt(entries.get('10.88.60.10')!)).toBe(takenAt - 10_000);
    const entry = (state: string, confirmed: number, updated: number) =>
      lastHeardAt({
        address: '10.88.60.20',
        states: [state],
        flags: [],
        confirmedAt: takenAt - confirmed * 1000,
        updatedAt: takenAt - updated * 1000,
      });
    // A brand-new entry made by the client's ARP request: confirmed is 2 × base_reachable_time back.
    expect(entry('STALE', 60, 0)).toBe(takenAt);
    // The router sent to a client that left 29 s ago: DELAY/PROBE are fresh, the proof is not.
    expect([entry('DELAY', 29, 0), entry('PROBE', 29, 0)]).toEqual([takenAt - 29_000, takenAt - 29_000]);
    expect(lastHeardAt({ address: '10.88.60.20', states: ['STALE'], flags: [] })).toBeUndefined();
  });

  it('skips and counts malformed objects, ignores IPv6 rows', () => {
    expect(r.records).toHaveLength(6);
    expect(r.skipped).toBe(2);
  });

  it('a dump that is not a JSON array is an error, not an empty table', () => {
    expect(() => parseNeighJson('{"dst":"10.0.0.1"}', 0)).toThrow(/JSON array/);
    expect(() => parseNeighJson('[{"dst":', 0)).toThrow();
    expect(parseNeighJson('', 0).records).toEqual([]);
  });
});

describe('ip monitor neigh (text)', () => {
  const receivedAt = 2_000_000_000;
  const lines = fixture('ip-monitor.txt').trimEnd().split('\n');
  const parsed = lines.map((l) => parseMonitorLine(l, receivedAt));

  it('parses state changes, flags between lladdr and state, and Deleted lines', () => {
    expect(parsed[0]).toEqual({
      kind: 'entry',
      entry: {
        address: '10.88.60.9',
        interface: 'br0',
        mac: '52:54:00:12:34:56',
        states: ['REACHABLE'],
        flags: [],
        deleted: false,
      },
    });
    expect(parsed[2]).toMatchObject({ kind: 'entry', entry: { flags: ['router'], states: ['DELAY'] } });
    expect(parsed[3]).toMatchObject({ kind: 'entry', entry: { states: ['INCOMPLETE'] } });
    expect(parsed[3]?.kind === 'entry' && parsed[3].entry.mac).toBeUndefined();
    expect(parsed[5]).toMatchObject({ kind: 'entry', entry: { address: '10.88.60.12', deleted: true } });
    expect(parsed[9]).toMatchObject({
      kind: 'entry',
      entry: { flags: ['extern_learn'], states: ['REACHABLE'] },
    });
  });

  it('reads the -s ages as iproute2 6.1 prints them (glued to probes) and as later versions do', () => {
    // Recorded from `ip -s -4 monitor neigh` (iproute2 6.1, kernel 6.18): a new client's ARP request.
    const glued = parseMonitorLine(
      '10.232.15.10 dev vr15 lladdr ee:86:43:d8:68:66  ref 1 used 0/60/0probes 0 STALE ',
      receivedAt,
    );
    expect(glued).toEqual({
      kind: 'entry',
      entry: {
        address: '10.232.15.10',
        interface: 'vr15',
        mac: 'ee:86:43:d8:68:66',
        states: ['STALE'],
        flags: [],
        deleted: false,
        confirmedAt: receivedAt - 60_000,
        updatedAt: receivedAt,
      },
    });
    const spaced = parseMonitorLine(
      '10.231.5.10 dev vr5 lladdr ee:86:43:d8:68:66 ref 2 used 5/29/0 probes 1 PROBE',
      receivedAt,
    );
    expect(spaced).toMatchObject({
      kind: 'entry',
      entry: { states: ['PROBE'], confirmedAt: receivedAt - 29_000, updatedAt: receivedAt },
    });
    expect(parseMonitorLine('10.231.5.10 dev vr5 used soon STALE', receivedAt).kind).toBe('malformed');
  });

  it('ignores miss requests and IPv6 rows', () => {
    expect(parsed[7]).toEqual({ kind: 'ignored' });
    expect(parsed[8]).toEqual({ kind: 'ignored' });
  });

  it('reports the ENOBUFS notice as an overrun and unreadable lines as malformed', () => {
    expect(parsed[11]?.kind).toBe('overrun');
    expect(parsed[12]?.kind).toBe('malformed');
    expect(parsed[13]?.kind).toBe('malformed');
  });
});

describe('/proc/net/arp', () => {
  const r = parseProcArp(fixture('proc-net-arp'));
  const entries = byAddress(r.records);

  it('maps flags: complete → VALID (positive), 0x0 → INCOMPLETE, permanent → PERMANENT', () => {
    expect(entries.get('10.88.60.9')).toMatchObject({
      states: ['VALID'],
      mac: '52:54:00:12:34:56',
      interface: 'br0',
    });
    expect(neighbourEvidence(entries.get('10.88.60.9')!)).toBe('positive');
    expect(entries.get('10.88.60.40')).toMatchObject({ states: ['INCOMPLETE'], mac: undefined });
    expect(neighbourEvidence(entries.get('10.88.60.1')!)).toBe('ignore');
  });

  it('skips and counts malformed rows', () => {
    expect(r.records).toHaveLength(4);
    expect(r.skipped).toBe(2);
  });
});

describe('ip -j addr show (own identity)', () => {
  it('collects IPv4 addresses (secondaries too) and non-zero MACs', () => {
    const own = parseOwnIdentity(fixture('ip-addr.json'));
    expect([...own.addresses].sort()).toEqual(['10.88.60.1', '10.88.60.2', '127.0.0.1']);
    expect([...own.macs].sort()).toEqual(['52:54:00:00:00:01', '52:54:00:00:00:02']);
  });
});

describe('joinedNeighbourGroup (/proc/<pid>/net/netlink)', () => {
  // As Linux 6.1 prints it; the monitor's row is the one with its pid as port id.
  const table = (groups: string, protocol = '0', pid = '4242') =>
    `sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode
00000000e77a8dac 0   0          00000000 0        0        0     2        0        4
00000000af0af48d ${protocol}   ${pid}       ${groups} 0        0        0     2        0        1088358
`;
  it('is true once the process has joined the neighbour group (bit 0x4) on a NETLINK_ROUTE socket', () => {
    expect(joinedNeighbourGroup(4242, table('00000004'))).toBe(true);
    expect(joinedNeighbourGroup(4242, table('00000515'))).toBe(true);
  });
  it('is false before it joins, for another protocol, or for another process', () => {
    expect(joinedNeighbourGroup(4242, table('00000000'))).toBe(false);
    expect(joinedNeighbourGroup(4242, table('00000001'))).toBe(false);
    expect(joinedNeighbourGroup(4242, table('00000004', '16'))).toBe(false);
    expect(joinedNeighbourGroup(4242, table('00000004', '0', '4243'))).toBe(false);
  });
  it('cannot tell for a process that does not exist', () => {
    expect(joinedNeighbourGroup(2 ** 22 + 12345)).toBeUndefined();
  });
});
