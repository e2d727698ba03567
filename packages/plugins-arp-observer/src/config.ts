import { Duration, IPv4, IPv4Cidr, Name, parseDuration } from '@routerd/plugin-sdk';
import { type } from 'arktype';

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no whitespace or slash. */
const InterfaceName = type(/^[^\s/]{1,15}$/).describe(
  'an interface name such as br0 (at most 15 characters)',
);
const AddressOrCidr = IPv4.or(IPv4Cidr);
const FilePath = type('string > 0').describe('an absolute path to a lease file');

/** A domain: the client addresses (and, for neighbour entries, the interfaces) that belong to it. */
export const DomainConfig = type({
  name: Name,
  cidrs: IPv4Cidr.array().atLeastLength(1),
  /** Neighbour entries must be on one of these; absent = any interface. Leases have no interface. */
  'interfaces?': InterfaceName.array(),
});
export type DomainConfig = typeof DomainConfig.infer;

export const SourcesConfig = type({
  /** The kernel neighbour table through `ip -j neigh show` snapshots and `ip monitor neigh`. */
  neighbours: 'boolean = true',
  /** `/proc/net/arp` snapshots (true, or a path) — the fallback where `ip` is missing. */
  procArp: type('boolean').or(FilePath).default(false),
  dnsmasq: FilePath.or('null').default(null),
  iscDhcpd: FilePath.or('null').default(null),
  kea: FilePath.or('null').default(null),
});
export type SourcesConfig = typeof SourcesConfig.infer;

const DEFAULT_SOURCES: SourcesConfig = {
  neighbours: true,
  procArp: false,
  dnsmasq: null,
  iscDhcpd: null,
  kea: null,
};

/** The plugin's `spec.config`. Every field but `domains` has a default. */
export const ArpObserverConfig = type({
  domains: DomainConfig.array().atLeastLength(1),
  ownerSide: Name.default('onprem'),
  /** Lifetime of each published observation; refreshed every ttl/2 while the client is present. */
  ttl: Duration.default('300s'),
  /** How long without evidence before a present client is reported expired. */
  absentAfter: Duration.default('180s'),
  /** Full neighbour snapshot (and own-address refresh) interval, besides the monitor. */
  resyncEvery: Duration.default('30s'),
  /** Lease files are watched; this is the stat fallback for file systems where fs.watch is silent. */
  leasePollEvery: Duration.default('10s'),
  sources: SourcesConfig.default(() => ({ ...DEFAULT_SOURCES })),
  /** Addresses or CIDRs never reported (gateways, VIPs, anything that is not a client). */
  exclude: AddressOrCidr.array().default(() => []),
  /** Addresses this node captures on behalf of others: observing them would feed our own capture back. */
  captured: AddressOrCidr.array().default(() => []),
  /** The ip command and any leading arguments, e.g. ["ip", "-n", "lab"] to observe a network namespace. */
  ipCommand: type('string > 0')
    .array()
    .atLeastLength(1)
    .default(() => ['ip']),
}).narrow((c, ctx) => {
  const names = c.domains.map((d) => d.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) return ctx.reject({ path: ['domains'], expected: 'unique domain names', actual: dup });
  for (const key of ['ttl', 'absentAfter', 'resyncEvery', 'leasePollEvery'] as const) {
    if (parseDuration(c[key]) < 100) {
      return ctx.reject({ path: [key], expected: 'a duration of at least 100ms', actual: c[key] });
    }
  }
  const s = c.sources;
  if (!s.neighbours && !s.procArp && !s.dnsmasq && !s.iscDhcpd && !s.kea) {
    return ctx.reject({ path: ['sources'], expected: 'at least one enabled source', actual: 'none' });
  }
  return true;
});
export type ArpObserverConfig = typeof ArpObserverConfig.infer;
/** What an operator may write: every defaulted field optional. */
export type ArpObserverConfigInput = typeof ArpObserverConfig.inferIn;

/** The config with durations in milliseconds, as the observer uses it. */
export interface ObserverSettings {
  domains: DomainConfig[];
  ownerSide: string;
  ttlMs: number;
  /** ttl/2: at least ttl/3 apart (no event storm) and always well before the published expiry. */
  refreshEveryMs: number;
  absentAfterMs: number;
  resyncEveryMs: number;
  leasePollEveryMs: number;
  sources: SourcesConfig;
  exclude: string[];
  captured: string[];
  ipCommand: string[];
}

export function toSettings(c: ArpObserverConfig): ObserverSettings {
  const ttlMs = parseDuration(c.ttl);
  return {
    domains: c.domains,
    ownerSide: c.ownerSide,
    ttlMs,
    refreshEveryMs: Math.floor(ttlMs / 2),
    absentAfterMs: parseDuration(c.absentAfter),
    resyncEveryMs: parseDuration(c.resyncEvery),
    leasePollEveryMs: parseDuration(c.leasePollEvery),
    sources: c.sources,
    exclude: c.exclude,
    captured: c.captured,
    ipCommand: c.ipCommand,
  };
}
