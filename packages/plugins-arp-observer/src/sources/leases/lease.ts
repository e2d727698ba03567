/** One DHCPv4 lease as a server's lease file records it, reduced to what presence needs. */
export interface Lease {
  address: string;
  /** Lowercase colon form, when the client's hardware address is 6-byte Ethernet. */
  mac?: string;
  hostname?: string;
  /** When the lease ends (ms epoch); null for an infinite lease. */
  endsAt: number | null;
  /** The server holds it as bound to the client (ISC `binding state active`, Kea state 0, dnsmasq line present). */
  bound: boolean;
}

export type LeaseServer = 'dnsmasq' | 'iscDhcpd' | 'kea';

export function isLeaseActive(lease: Lease, now: number): boolean {
  return lease.bound && (lease.endsAt === null || lease.endsAt > now);
}

/** Log-structured files (ISC, Kea) record a lease many times: the last record for an address wins. */
export function latestPerAddress(leases: Iterable<Lease>): Lease[] {
  const byAddress = new Map<string, Lease>();
  for (const lease of leases) {
    byAddress.delete(lease.address);
    byAddress.set(lease.address, lease);
  }
  return [...byAddress.values()];
}
