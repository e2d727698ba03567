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

/**
 * Route-flap damping per address (RFC 2439's scheme, with its defaults): every episode that ends —
 * `expired`, or superseded by another MAC — adds `penaltyPerFlap`; the penalty halves every `halfLife`;
 * above `suppressAbove` no new `observed` is published for the address until it has decayed below
 * `reuseBelow`. The penalty is capped so that suppression lasts at most `maxSuppress` after the last flap.
 */
export const FlapDampingConfig = type({
  enabled: 'boolean = true',
  penaltyPerFlap: type('number.integer > 0').default(1000),
  suppressAbove: type('number.integer > 0').default(2000),
  reuseBelow: type('number.integer > 0').default(750),
  halfLife: Duration.default('15m'),
  maxSuppress: Duration.default('60m'),
});
export type FlapDampingConfig = typeof FlapDampingConfig.infer;

const DEFAULT_FLAP_DAMPING: FlapDampingConfig = {
  enabled: true,
  penaltyPerFlap: 1000,
  suppressAbove: 2000,
  reuseBelow: 750,
  halfLife: '15m',
  maxSuppress: '60m',
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
  /** Damping of addresses that keep coming and going: on by default. */
  flapDamping: FlapDampingConfig.default(() => ({ ...DEFAULT_FLAP_DAMPING })),
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
  const damping = flapDampingProblem(c.flapDamping);
  if (damping) return ctx.reject({ path: ['flapDamping', damping.field], ...damping });
  const s = c.sources;
  if (!s.neighbours && !s.procArp && !s.dnsmasq && !s.iscDhcpd && !s.kea) {
    return ctx.reject({ path: ['sources'], expected: 'at least one enabled source', actual: 'none' });
  }
  return true;
});
export type ArpObserverConfig = typeof ArpObserverConfig.infer;

/** Rules between the damping fields, each reported at the field an operator would change. */
function flapDampingProblem(
  d: FlapDampingConfig,
): { field: keyof FlapDampingConfig; expected: string; actual: string } | undefined {
  for (const field of ['halfLife', 'maxSuppress'] as const) {
    if (parseDuration(d[field]) < 100)
      return { field, expected: 'a duration of at least 100ms', actual: d[field] };
  }
  if (d.reuseBelow >= d.suppressAbove) {
    return {
      field: 'reuseBelow',
      expected: `less than suppressAbove (${d.suppressAbove})`,
      actual: String(d.reuseBelow),
    };
  }
  // The cap keeps suppression within maxSuppress; a cap at or below suppressAbove would never suppress.
  const cap = dampingPenaltyCap(d);
  if (cap <= d.suppressAbove) {
    return {
      field: 'maxSuppress',
      expected: `long enough for the penalty cap, reuseBelow × 2^(maxSuppress/halfLife), to exceed suppressAbove (${d.suppressAbove})`,
      actual: `${d.maxSuppress} (cap ${Math.floor(cap)})`,
    };
  }
  return undefined;
}

/** The highest penalty an address can carry: from it, decay reaches reuseBelow in exactly maxSuppress. */
export function dampingPenaltyCap(d: FlapDampingConfig): number {
  return d.reuseBelow * 2 ** (parseDuration(d.maxSuppress) / parseDuration(d.halfLife));
}
/** What an operator may write: every defaulted field optional. */
export type ArpObserverConfigInput = typeof ArpObserverConfig.inferIn;

/** Flap damping with durations in milliseconds. */
export interface FlapDampingSettings {
  penaltyPerFlap: number;
  suppressAbove: number;
  reuseBelow: number;
  halfLifeMs: number;
  /** The penalty never exceeds this (see dampingPenaltyCap). */
  penaltyCap: number;
}

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
  /** Undefined when damping is off. */
  flapDamping?: FlapDampingSettings;
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
    flapDamping: c.flapDamping.enabled
      ? {
          penaltyPerFlap: c.flapDamping.penaltyPerFlap,
          suppressAbove: c.flapDamping.suppressAbove,
          reuseBelow: c.flapDamping.reuseBelow,
          halfLifeMs: parseDuration(c.flapDamping.halfLife),
          penaltyCap: dampingPenaltyCap(c.flapDamping),
        }
      : undefined,
    exclude: c.exclude,
    captured: c.captured,
    ipCommand: c.ipCommand,
  };
}
