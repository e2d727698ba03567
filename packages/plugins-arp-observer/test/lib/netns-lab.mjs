// The network-namespace lab of the ARP observer's tests and of bench/arp-presence.bench.mjs (plain ESM
// with JSDoc types, so the bench runs it without a build).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Two network namespaces joined by a veth pair: the "router" (where the observer looks at the kernel
 * neighbour table) and the "clients" (one interface holding every client address). Names carry the
 * process id so parallel runs never meet, and nothing outside these namespaces is touched.
 */
export class NetnsLab {
  router = `rdr${process.pid}`;
  clients = `rdc${process.pid}`;
  routerIf = `vr${process.pid}`;
  clientIf = `vc${process.pid}`;
  /** 10.231.<n>.0/24 exists only inside the two namespaces. */
  net = `10.231.${(process.pid % 250) + 1}`;
  /** TEST-NET-2, reached from the clients through the router (which does not forward): see `arrive`. */
  beyond = '198.51.100.1';
  /** @type {string[]} */
  #created = [];

  /** @param {number} host @returns {string} */
  addr(host) {
    return `${this.net}.${host}`;
  }

  /** The plugin's `ipCommand`: every `ip` it runs looks into the router namespace. @returns {string[]} */
  get ipCommand() {
    return ['ip', '-n', this.router];
  }

  /** @param {number[]} clientHosts */
  create(clientHosts) {
    for (const ns of [this.router, this.clients]) {
      try {
        execFileSync('ip', ['netns', 'add', ns], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        const stderr = String(/** @type {{ stderr?: Buffer }} */ (err).stderr ?? err).trim();
        throw new Error(
          `These tests create network namespaces and must run as root on a kernel with netns and veth support; 'ip netns add ${ns}' failed: ${stderr}`,
        );
      }
      this.#created.push(ns);
    }
    ip([
      'link',
      'add',
      this.routerIf,
      'netns',
      this.router,
      'type',
      'veth',
      'peer',
      'name',
      this.clientIf,
      'netns',
      this.clients,
    ]);
    ip(['-n', this.router, 'addr', 'add', `${this.addr(1)}/24`, 'dev', this.routerIf]);
    for (const h of clientHosts)
      ip(['-n', this.clients, 'addr', 'add', `${this.addr(h)}/24`, 'dev', this.clientIf]);
    for (const [ns, dev] of [
      [this.router, this.routerIf],
      [this.clients, this.clientIf],
    ]) {
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'link', 'set', dev, 'up']);
    }
    ip(['-n', this.clients, 'route', 'add', `${this.beyond}/32`, 'via', this.addr(1)]);
    // The clients know the router's MAC statically, so they never ARP for it. Otherwise their own
    // neighbour probes (about 5 s after they answer) would re-create the router's entry for them as STALE
    // right after a test deleted it, and STALE — rightly — keeps a client present.
    this.#pinRouterMac();
  }

  /** Deletes only the namespaces this lab created (their veth ends go with them). */
  destroy() {
    for (const ns of this.#created.splice(0)) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // Already gone: nothing left to clean.
      }
    }
  }

  /** Both veth ends report carrier: ARP can work. @returns {boolean} */
  linksUp() {
    /** @param {string} ns @param {string} dev @returns {string | undefined} */
    const state = (ns, dev) => JSON.parse(ip(['-n', ns, '-j', 'link', 'show', 'dev', dev]))[0]?.operstate;
    return state(this.router, this.routerIf) === 'UP' && state(this.clients, this.clientIf) === 'UP';
  }

  /**
   * Send one UDP datagram from the router to a client address: the kernel resolves it with ARP and the
   * router's neighbour table gains a REACHABLE entry, as `ping -c1` would (ping is not installed here).
   * @param {number} host
   */
  resolve(host) {
    execFileSync('ip', [
      'netns',
      'exec',
      this.router,
      'bash',
      '-c',
      `echo probe > /dev/udp/${this.addr(host)}/9`,
    ]);
  }

  /**
   * A client arrives: it sends one datagram from its address to `to`, so it first ARPs for the router,
   * and the router's kernel creates its entry as STALE from that request. Sent `beyond` (the default),
   * the router does not forward or answer it, so the entry is never confirmed and stays STALE; sent to
   * the router itself, the router answers (ICMP port unreachable) and so checks the entry: STALE →
   * DELAY (not announced) → PROBE after delay_first_probe_time → REACHABLE.
   * @param {number} host
   * @param {string} [to]
   */
  arrive(host, to = this.beyond) {
    ip(['-n', this.clients, 'neigh', 'del', this.addr(1), 'dev', this.clientIf]);
    try {
      const send = `const s = require('node:dgram').createSocket('udp4');
        s.bind(0, '${this.addr(host)}', () => s.send('hello', 9, '${to}', () => s.close()));`;
      execFileSync('ip', ['netns', 'exec', this.clients, process.execPath, '-e', send]);
    } finally {
      this.#pinRouterMac();
    }
  }

  /**
   * The client leaves: its address is gone, nothing answers for it any more. Not for the first client
   * address (the primary: deleting it takes the others with it).
   * @param {number} host
   */
  leave(host) {
    ip(['-n', this.clients, 'addr', 'del', `${this.addr(host)}/24`, 'dev', this.clientIf]);
  }

  /** @param {number} host */
  rejoin(host) {
    ip(['-n', this.clients, 'addr', 'replace', `${this.addr(host)}/24`, 'dev', this.clientIf]);
  }

  /** @returns {string} */
  clientMac() {
    return JSON.parse(ip(['-n', this.clients, '-j', 'link', 'show', 'dev', this.clientIf]))[0].address;
  }

  /**
   * Another machine takes the clients' addresses: a new MAC, announced (with `announce`) by gratuitous
   * ARP (arp_notify), as a host that takes over an address announces itself. The router's kernel then
   * moves its existing entries to the new MAC, as STALE.
   * @param {string} mac
   * @param {boolean} announce
   */
  setClientMac(mac, announce) {
    /** @param {number} v */
    const arpNotify = (v) =>
      execFileSync('ip', [
        'netns',
        'exec',
        this.clients,
        'sysctl',
        '-q',
        '-w',
        `net.ipv4.conf.${this.clientIf}.arp_notify=${v}`,
      ]);
    if (announce) arpNotify(1);
    try {
      ip(['-n', this.clients, 'link', 'set', 'dev', this.clientIf, 'address', mac]);
    } finally {
      if (announce) arpNotify(0);
    }
  }

  /**
   * The router's NUD state word for a client address, or undefined when its table has no entry.
   * @param {number} host
   * @returns {string | undefined}
   */
  routerState(host) {
    /** @type {{ state?: string[] }[]} */
    const rows = JSON.parse(this.routerIp(['-j', '-4', 'neigh', 'show', this.addr(host)]));
    return rows[0]?.state?.[0];
  }

  /** @param {string[]} args @returns {string} */
  routerIp(args) {
    return ip(['-n', this.router, ...args]);
  }

  /** @returns {string} */
  routerMac() {
    return JSON.parse(this.routerIp(['-j', 'link', 'show', 'dev', this.routerIf]))[0].address;
  }

  #pinRouterMac() {
    ip([
      '-n',
      this.clients,
      'neigh',
      'replace',
      this.addr(1),
      'lladdr',
      this.routerMac(),
      'dev',
      this.clientIf,
      'nud',
      'permanent',
    ]);
  }
}

/** @param {string[]} args @returns {string} */
function ip(args) {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

/**
 * Direct children of a process, from /proc (ppid is the 4th field of /proc/<pid>/stat).
 * @param {number} pid
 * @returns {{ pid: number; cmdline: string }[]}
 */
export function childrenOf(pid) {
  /** @type {{ pid: number; cmdline: string }[]} */
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      out.push({
        pid: Number(name),
        cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim(),
      });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
