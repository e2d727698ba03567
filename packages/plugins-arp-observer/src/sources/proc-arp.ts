import { isIPv4 } from '@routerd/plugin-sdk';
import { type NeighbourEntry, normaliseMac } from './neighbour-entry.js';
import { ParseCollector, type ParseResult } from './parse-result.js';

const ATF_COM = 0x2;
const ATF_PERM = 0x4;

/**
 * Parse `/proc/net/arp` (kernel net/ipv4/arp.c `arp_format_neigh_entry`): a header line, then
 * `IP  HWtype  Flags  HWaddress  Mask  Device`. The flags only say "complete" (ATF_COM for any NUD_VALID
 * state) or "permanent": REACHABLE and STALE look the same, so a complete row is reported as the
 * pseudo-state `VALID` and presence relies on absentAfter once the row disappears.
 */
export function parseProcArp(text: string): ParseResult<NeighbourEntry> {
  const out = new ParseCollector<NeighbourEntry>();
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || (i === 0 && line.startsWith('IP address'))) continue;
    const cols = line.split(/\s+/);
    const [address, hwType, flagsText, hwAddress, , device] = cols;
    const flags = Number.parseInt(flagsText ?? '', 16);
    if (cols.length !== 6 || !isIPv4(address ?? '') || !hwType?.startsWith('0x') || Number.isNaN(flags)) {
      out.skip(line);
      continue;
    }
    const complete = (flags & ATF_COM) !== 0;
    out.add({
      address: address!,
      interface: device,
      mac: complete ? normaliseMac(hwAddress) : undefined,
      states: !complete ? ['INCOMPLETE'] : flags & ATF_PERM ? ['PERMANENT'] : ['VALID'],
      flags: [],
    });
  }
  return out.result();
}
