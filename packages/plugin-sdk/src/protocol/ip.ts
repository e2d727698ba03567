/** IPv4 helpers used by schemas, domain helpers and the host. IPv4 only: the product captures IPv4 client addresses. */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
export const IPV4_PATTERN = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
export const IPV4_CIDR_PATTERN = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}/(?:3[0-2]|[12]?\\d)$`);
export const IPV4_HOST_CIDR_PATTERN = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}/32$`);

export function isIPv4(text: string): boolean {
  return IPV4_PATTERN.test(text);
}

export function ipv4ToInt(ip: string): number {
  if (!isIPv4(ip)) throw new Error(`not an IPv4 address: ${ip}`);
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export interface Cidr {
  network: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr {
  const [ip, len] = text.split('/');
  const prefix = len === undefined ? 32 : Number(len);
  if (!ip || !isIPv4(ip) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new Error(`not an IPv4 CIDR: ${text}`);
  }
  return { network: (ipv4ToInt(ip) & prefixMask(prefix)) >>> 0, prefix };
}

/**
 * Whether `ip` lies in `cidr`. `ip` is dotted text, or its number (ipv4ToInt) when one address is checked
 * against many ranges: read once, not once per range.
 */
export function cidrContains(cidr: string | Cidr, ip: string | number): boolean {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const n = typeof ip === 'number' ? ip : ipv4ToInt(ip);
  return (n & prefixMask(c.prefix)) >>> 0 === c.network;
}

/** The network mask of a prefix length, unsigned. */
function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.88.60.9/32" or "10.88.60.9" → "10.88.60.9". */
export function hostAddress(addressOrCidr: string): string {
  return addressOrCidr.split('/')[0]!;
}

/** Deterministic resource-name fragment: "10.88.60.9/32" → "10-88-60-9". */
export function addressSlug(addressOrCidr: string): string {
  return hostAddress(addressOrCidr).replaceAll('.', '-');
}
