import { type Cidr, cidrContains, ipv4Number, parseCidr } from '@routerd/plugin-sdk';
import type { DomainConfig } from './config.js';
import type { OwnIdentity } from './sources/own-identity.js';

export type RejectReason = 'no-domain' | 'own-address' | 'own-mac' | 'captured' | 'excluded';
export type Classification = { domain: string } | { rejected: RejectReason };

interface CompiledDomain {
  name: string;
  cidrs: Cidr[];
  interfaces?: Set<string>;
}

/**
 * Decides whether a sighting is a client of one of our domains. Everything that is the router itself
 * (its addresses, its MACs), that it captures for others, or that the operator excluded is refused here,
 * before the presence tracker ever sees it: a router that announced its own or captured addresses as
 * on-prem clients would feed its own capture back into the federation (the no-feedback-loop invariant).
 */
export class ClientFilter {
  private readonly domains: CompiledDomain[];
  private readonly captured: Cidr[];
  private readonly excluded: Cidr[];
  private own: OwnIdentity = { addresses: new Set(), macs: new Set() };

  constructor(opts: { domains: DomainConfig[]; captured: string[]; exclude: string[] }) {
    this.domains = opts.domains.map((d) => ({
      name: d.name,
      cidrs: d.cidrs.map(parseCidr),
      interfaces: d.interfaces ? new Set(d.interfaces) : undefined,
    }));
    this.captured = opts.captured.map(parseCidr);
    this.excluded = opts.exclude.map(parseCidr);
  }

  /** Replace the router's own addresses and MACs (rediscovered at every resync: addresses come and go). */
  setOwnIdentity(own: OwnIdentity): void {
    this.own = own;
  }

  /** `iface` is undefined for leases, which only match by address. */
  classify(address: string, iface?: string, mac?: string): Classification {
    if (this.own.addresses.has(address)) return { rejected: 'own-address' };
    if (mac !== undefined && this.own.macs.has(mac)) return { rejected: 'own-mac' };
    // Read once, then compared with every range (each row of a snapshot comes through here). The
    // sources only pass IPv4 addresses; anything else is in no domain rather than a throw.
    const ip = ipv4Number(address);
    if (ip === undefined) return { rejected: 'no-domain' };
    if (this.captured.some((c) => cidrContains(c, ip))) return { rejected: 'captured' };
    if (this.excluded.some((c) => cidrContains(c, ip))) return { rejected: 'excluded' };
    for (const d of this.domains) {
      if (iface !== undefined && d.interfaces && !d.interfaces.has(iface)) continue;
      if (d.cidrs.some((c) => cidrContains(c, ip))) return { domain: d.name };
    }
    return { rejected: 'no-domain' };
  }

  /** True for addresses that can never be a client whatever the interface: ours, captured, excluded. */
  isNeverAClient(address: string): boolean {
    const c = this.classify(address);
    return 'rejected' in c && c.rejected !== 'no-domain' && c.rejected !== 'own-mac';
  }
}
