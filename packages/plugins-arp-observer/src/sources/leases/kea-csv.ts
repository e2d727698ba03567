import { isIPv4 } from '@routerd/plugin-sdk';
import { normaliseMac } from '../neighbour-entry.js';
import { ParseCollector, type ParseResult } from '../parse-result.js';
import type { Lease } from './lease.js';

/** Kea lease states (src/lib/dhcpsrv/lease.h): only the default state is a lease in use. */
const STATE_DEFAULT = 0;
const REQUIRED_COLUMNS = ['address', 'hwaddr', 'valid_lifetime', 'expire'] as const;

/**
 * Parse one Kea memfile `kea-leases4.csv` (src/lib/dhcpsrv/csv_lease_file4.cc). The file is append-only
 * with a header naming the columns (`state` since 2.0, `user_context` 2.1, `pool_id` 3.0), so columns are
 * found by name. `expire` is cltt + valid_lifetime in epoch seconds; a row with `valid_lifetime` 0 records
 * a deletion. Records are returned in file order: the caller keeps the last one per address.
 * Kea escapes commas inside values (`&#x2c`), so a plain split on "," is the CSV grammar it writes.
 */
export function parseKeaLeases(text: string): ParseResult<Lease> {
  const out = new ParseCollector<Lease>();
  const lines = text.split('\n');
  let header: Map<string, number> | undefined;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const cols = line.split(',');
    if (header === undefined) {
      if (!cols.includes('address')) {
        // Without its header nothing in the file can be mapped; count every line rather than guess.
        out.skip(line);
        continue;
      }
      header = new Map(cols.map((name, i) => [name.trim(), i]));
      if (REQUIRED_COLUMNS.some((c) => !header!.has(c))) {
        out.skip(line);
        header = undefined;
      }
      continue;
    }
    if (cols.length !== header.size) {
      out.skip(line);
      continue;
    }
    const col = (name: string) => {
      const i = header!.get(name);
      return i === undefined ? undefined : cols[i];
    };
    const address = col('address') ?? '';
    const lifetime = Number(col('valid_lifetime'));
    const expire = Number(col('expire'));
    const stateText = col('state');
    const state = stateText === undefined || stateText === '' ? STATE_DEFAULT : Number(stateText);
    if (!isIPv4(address) || !Number.isInteger(lifetime) || !Number.isInteger(expire) || Number.isNaN(state)) {
      out.skip(line);
      continue;
    }
    const hostname = col('hostname');
    out.add({
      address,
      mac: normaliseMac(col('hwaddr')),
      hostname: hostname ? hostname : undefined,
      // Kea stores an infinite lifetime as 0xffffffff; its expire then overflows into the far future anyway.
      endsAt: lifetime === 0xffffffff ? null : expire * 1000,
      bound: lifetime > 0 && state === STATE_DEFAULT,
    });
  }
  return out.result();
}

/**
 * The files that together hold a memfile's leases, oldest first. Lease File Cleanup (LFC) moves the live
 * file aside to `.1`, merges `.2` and `.1` into `.output`, renames that to `.completed` and finally to `.2`;
 * Kea itself loads `.completed` instead of `.2` + `.1` when it exists, and so do we.
 */
export function keaLeaseFiles(path: string, exists: (p: string) => boolean): string[] {
  if (exists(`${path}.completed`)) return [`${path}.completed`, path];
  return [`${path}.2`, `${path}.1`, path].filter((p) => p === path || exists(p));
}
