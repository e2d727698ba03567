import { cidrContains, ipv4ToInt, parseCidr } from '../protocol/ip.js';
import type { Diagnostic } from '../protocol/schemas/common.js';
import type { ReservedAddress } from './adapter.js';
import type { RouterIdentity } from './identity.js';
import type { AddressChange } from './observations.js';

/** Where the plugin may capture addresses, and which addresses it must leave alone. */
export interface CaptureScope {
  /** The NIC's subnet: every provider refuses a secondary IP outside it, so it always bounds the scope. */
  subnetCidr: string;
  /** `config.allowedCidrs`: a further filter inside the subnet, never a way out of it. */
  allowedCidrs?: string[];
  /** The router's own addresses. */
  ownAddresses: string[];
  /** The addresses the provider keeps for itself in this subnet, each with the reason. */
  reserved: { ip: string; why: string }[];
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

/** The provider's reserved addresses of one subnet: offsets from its network address, negative from its end. */
export function reservedAddressesOf(
  subnetCidr: string,
  rules: readonly ReservedAddress[],
): CaptureScope['reserved'] {
  const { network, prefix } = parseCidr(subnetCidr);
  const size = 2 ** (32 - prefix);
  return rules.map((r) => ({
    ip: intToIpv4(network + (r.offset >= 0 ? r.offset : size + r.offset)),
    why: r.why,
  }));
}

export function captureScope(
  identity: RouterIdentity,
  config: { allowedCidrs?: string[]; ownAddresses: string[] },
  reserved: readonly ReservedAddress[],
): CaptureScope {
  const own = new Set([...identity.ownAddresses, ...config.ownAddresses]);
  return {
    subnetCidr: identity.subnetCidr,
    ...(config.allowedCidrs ? { allowedCidrs: config.allowedCidrs } : {}),
    ownAddresses: [...own].sort(),
    reserved: reservedAddressesOf(identity.subnetCidr, reserved).sort(
      (a, b) => ipv4ToInt(a.ip) - ipv4ToInt(b.ip),
    ),
  };
}

/**
 * The scope rules, each failure a diagnostic that names the address and why: inside the NIC's subnet
 * (a secondary IP anywhere else is refused by every provider, whatever allowedCidrs says), inside
 * allowedCidrs when given, not an address the provider reserves in the subnet, and not one of the router's
 * own addresses (claiming it would hand the router's address to a client). The /32 rule is checked with
 * the payload.
 */
export function scopeProblems(change: AddressChange, scope: CaptureScope): Diagnostic[] {
  const problem = (summary: string, detail?: string): Diagnostic => ({
    severity: 'error',
    summary,
    ...(detail ? { detail } : {}),
    path: change.path,
  });
  const problems: Diagnostic[] = [];
  if (!cidrContains(scope.subnetCidr, change.ip)) {
    problems.push(
      problem(
        `${change.address} is outside ${scope.subnetCidr}: not captured`,
        `a secondary private IP must lie in the subnet of the NIC it is added to (${scope.subnetCidr}); allowedCidrs only narrows that`,
      ),
    );
  } else if (scope.allowedCidrs && !scope.allowedCidrs.some((c) => cidrContains(c, change.ip))) {
    problems.push(
      problem(`${change.address} is outside allowedCidrs ${scope.allowedCidrs.join(', ')}: not captured`),
    );
  }
  const reserved = scope.reserved.find((r) => r.ip === change.ip);
  if (reserved) {
    problems.push(
      problem(
        `${change.address} is a reserved address of subnet ${scope.subnetCidr} (${reserved.why}): not captured`,
        'the provider never assigns it to a NIC',
      ),
    );
  }
  if (scope.ownAddresses.includes(change.ip)) {
    problems.push(problem(`${change.address} is one of this router's own addresses: not captured`));
  }
  return problems;
}
