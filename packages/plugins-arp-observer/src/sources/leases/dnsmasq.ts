import { isIPv4 } from '@routerd/plugin-sdk';
import { normaliseMac } from '../neighbour-entry.js';
import { ParseCollector, type ParseResult } from '../parse-result.js';
import type { Lease } from './lease.js';

/**
 * Parse a dnsmasq leases file (src/lease.c `lease_update_file`), rewritten whole on every change. IPv4
 * lines are `<expiry> <mac> <ip> <hostname|*> <client-id|*>`: expiry in epoch seconds, 0 for an infinite
 * lease; non-Ethernet hardware is written `<type>-<addr>`. A `duid …` line starts the IPv6 section, which
 * is not read. A lease that is no longer in the file has ended.
 *
 * Builds with HAVE_BROKEN_RTC write the lease length instead of an expiry time; they are not supported
 * (the lease would look long expired and only the neighbour table would count).
 */
export function parseDnsmasqLeases(text: string): ParseResult<Lease> {
  const out = new ParseCollector<Lease>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('duid ')) break;
    const cols = line.split(/\s+/);
    const [expiry, hw, address, hostname] = cols;
    if (cols.length < 4 || !/^\d+$/.test(expiry ?? '') || !isIPv4(address ?? '')) {
      out.skip(line);
      continue;
    }
    const seconds = Number(expiry);
    out.add({
      address: address!,
      mac: normaliseMac(hw),
      hostname: hostname === '*' ? undefined : hostname,
      endsAt: seconds === 0 ? null : seconds * 1000,
      bound: true,
    });
  }
  return out.result();
}
