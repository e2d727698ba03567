import { type } from 'arktype';
import { IPv4, IPv4Cidr } from '../protocol/schemas/common.js';

/**
 * What a provider plugin needs to know about the router it plans for. Field names follow the
 * ActionPlan `target`, so an identity given in config reads like the plans it produces.
 */
export const RouterIdentity = type({
  /** AWS ENI id, Azure NIC resource id, OCI VNIC OCID. */
  nicRef: 'string > 0',
  /** The cloud subnet the NIC is in: captured addresses must lie inside it (unless allowedCidrs says otherwise). */
  subnetCidr: IPv4Cidr,
  /** The router's own primary addresses: never claimed for a client. */
  ownAddresses: IPv4.array().default(() => []),
  'region?': 'string > 0',
  /** AWS subnet id, OCI subnet OCID. */
  'subnetRef?': 'string > 0',
  'resourceGroup?': 'string > 0',
  'nicName?': 'string > 0',
  'subscriptionId?': 'string > 0',
  'compartmentId?': 'string > 0',
});
export type RouterIdentity = typeof RouterIdentity.infer;
export type RouterIdentityField = Exclude<keyof RouterIdentity, 'ownAddresses'>;
