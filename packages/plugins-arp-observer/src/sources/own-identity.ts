import { isArkErrors } from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { normaliseMac } from './neighbour-entry.js';

/** The parts of one `ip -j addr show` link object we read (iproute2 ip/ipaddress.c). */
const IpAddrLink = type({
  ifname: 'string',
  'link_type?': 'string',
  'address?': 'string',
  'addr_info?': type({ 'family?': 'string', 'local?': 'string' }).array(),
});

export const ADDR_SHOW_ARGS = ['-j', 'addr', 'show'];

/** The router's own addresses and MACs: a client sighting of either is our own reflection, never a client. */
export interface OwnIdentity {
  addresses: Set<string>;
  macs: Set<string>;
}

/**
 * Read the router's IPv4 addresses and link-layer addresses from one `ip -j addr show` (it carries each
 * link's `address` too, so `ip -j link show` would add nothing). Links it cannot read are skipped.
 */
export function parseOwnIdentity(text: string): OwnIdentity {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('ip -j addr show did not print a JSON array');
  const own: OwnIdentity = { addresses: new Set(), macs: new Set() };
  for (const item of parsed) {
    const link = IpAddrLink(item);
    if (isArkErrors(link)) continue;
    const mac = normaliseMac(link.address);
    if (mac && mac !== '00:00:00:00:00:00') own.macs.add(mac);
    for (const a of link.addr_info ?? []) if (a.family === 'inet' && a.local) own.addresses.add(a.local);
  }
  return own;
}
