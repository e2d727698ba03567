import { cidrContains } from '../protocol/ip.js';
import type { Diagnostic } from '../protocol/schemas/common.js';
import type { RouterIdentity } from './identity.js';
import type { AddressChange } from './observations.js';

/** Where the plugin may capture addresses, and which addresses are the router's own. */
export interface CaptureScope {
  cidrs: string[];
  ownAddresses: string[];
}

export function captureScope(
  identity: RouterIdentity,
  config: { allowedCidrs?: string[]; ownAddresses: string[] },
): CaptureScope {
  const own = new Set([...identity.ownAddresses, ...config.ownAddresses]);
  return {
    cidrs: config.allowedCidrs ?? [identity.subnetCidr],
    ownAddresses: [...own].sort(),
  };
}

/**
 * The scope rules, each failure a diagnostic that names the address: inside the allowed CIDRs (a secondary
 * IP outside the NIC's subnet is refused by every provider), and not one of the router's own addresses
 * (claiming it would hand the router's address to a client). The /32 rule is checked with the payload.
 */
export function scopeProblems(change: AddressChange, scope: CaptureScope): Diagnostic[] {
  const problems: Diagnostic[] = [];
  if (!scope.cidrs.some((c) => cidrContains(c, change.ip))) {
    problems.push({
      severity: 'error',
      summary: `${change.address} is outside ${scope.cidrs.join(', ')}: not captured`,
      detail: 'a secondary private IP must lie in the NIC subnet (or the configured allowedCidrs)',
      path: change.path,
    });
  }
  if (scope.ownAddresses.includes(change.ip)) {
    problems.push({
      severity: 'error',
      summary: `${change.address} is one of this router's own addresses: not captured`,
      path: change.path,
    });
  }
  return problems;
}
