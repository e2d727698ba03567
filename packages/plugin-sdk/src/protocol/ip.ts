/** IPv4 helpers used by schemas, domain helpers and the host. IPv4 only: the product captures IPv4 client addresses. */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
export const IPV4_PATTERN = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
export const IPV4_CIDR_PATTERN = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}/(?:3[0-2]|[12]?\\d)$`);
export const IPV4_HOST_CIDR_PATTERN = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}/32$`);

/**
 * The address's number, or undefined when `text` is not what IPV4_PATTERN accepts (four decimal octets,
 * 0-255, no leading zero, nothing around them). Read character by character: every observation an
 * ingest checks against the no-observe set goes through here, and the pattern plus a split cost a
 * regular expression run and five strings per address (issue 18).
 */
export function ipv4Number(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      continue;
    }
    if (c < 0x30 || c > 0x39) return undefined;
    // A second digit after a leading 0 ("01") is not an octet.
    if (digits === 3 || (digits === 1 && octet === 0)) return undefined;
    octet = octet * 10 + (c - 0x30);
    digits++;
    if (octet > 255) return undefined;
  }
  if (digits === 0 || dots !== 3) return undefined;
  return value * 256 + octet;
}

export function isIPv4(text: string): boolean {
  return ipv4Number(text) !== undefined;
}

export function ipv4ToInt(ip: string): number {
  const n = ipv4Number(ip);
  if (n === undefined) throw new Error(`not an IPv4 address: ${ip}`);
  return n;
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
  const slash = addressOrCidr.indexOf('/');
  return slash === -1 ? addressOrCidr : addressOrCidr.slice(0, slash);
}

/** Deterministic resource-name fragment: "10.88.60.9/32" → "10-88-60-9". */
export function addressSlug(addressOrCidr: string): string {
  return hostAddress(addressOrCidr).replaceAll('.', '-');
}
