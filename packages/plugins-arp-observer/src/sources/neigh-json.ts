import { isArkErrors, isIPv4 } from '@routerd/plugin-sdk';
import { scope } from 'arktype';
import { type NeighbourEntry, normaliseMac } from './neighbour-entry.js';
import { ParseCollector, type ParseResult } from './parse-result.js';

/**
 * One object of `ip -j -s neigh show` (iproute2 ip/ipneigh.c `print_neigh`): `state` is always an array,
 * flag keys (`router`, `proxy`, …) carry `null`, `-s` adds `used`/`confirmed`/`updated` ages in seconds.
 * `dev` is omitted when the command itself filters by device.
 */
export const IpNeighObject = scope(
  {
    IpNeighObject: {
      dst: 'string',
      'dev?': 'string',
      'lladdr?': 'string',
      'state?': 'string[]',
      'confirmed?': 'number >= 0',
      'updated?': 'number >= 0',
    },
  },
  // Checked for every row of every snapshot: compiled, even though the bin runs arktype interpreted
  // (main.ts; it saves memory for schemas checked once). Interpreted, each row's check allocated ~0.9 KB,
  // a third of what a 5,000-row snapshot allocates, and the collections that follow (issue 18).
  { jitless: false },
).export().IpNeighObject;

const FLAG_KEYS = ['router', 'proxy', 'managed', 'extern_learn', 'offload', 'extern_valid'] as const;

/** The neighbour arguments: IPv4 only for this phase, `-s` for the `confirmed`/`updated` ages. */
export const NEIGH_SHOW_ARGS = ['-j', '-s', '-4', 'neigh', 'show'];

/**
 * Parse a full `ip -j -s -4 neigh show` dump. A dump that is not a JSON array throws (the snapshot failed
 * and must not be taken as "the table is empty"); a malformed object inside it is skipped and counted.
 */
export function parseNeighJson(text: string, takenAt: number): ParseResult<NeighbourEntry> {
  const parsed: unknown = JSON.parse(text.trim() === '' ? '[]' : text);
  if (!Array.isArray(parsed)) throw new Error('ip -j neigh show did not print a JSON array');
  const out = new ParseCollector<NeighbourEntry>();
  for (const item of parsed) {
    const obj = IpNeighObject(item);
    if (isArkErrors(obj)) {
      out.skip(JSON.stringify(item) ?? String(item));
      continue;
    }
    // IPv6 rows only appear when the -4 filter is not honoured (fake or old ip); not an error.
    if (!isIPv4(obj.dst)) continue;
    const raw = item as Record<string, unknown>;
    const entry: NeighbourEntry = {
      address: obj.dst,
      interface: obj.dev,
      mac: normaliseMac(obj.lladdr),
      states: obj.state ?? [],
      flags: FLAG_KEYS.filter((k) => k in raw),
    };
    if (obj.confirmed !== undefined) entry.confirmedAt = takenAt - obj.confirmed * 1000;
    if (obj.updated !== undefined) entry.updatedAt = takenAt - obj.updated * 1000;
    out.add(entry);
  }
  return out.result();
}
