import { IPv4, IPv4Cidr } from '@routerd/plugin-sdk';
import {
  type IdentityDiscovery,
  type MetadataClient,
  MetadataProblem,
  type RouterIdentity,
} from '@routerd/plugin-sdk/domain';
import { type } from 'arktype';
import type { OciConfig } from './config.js';

const BEARER = { headers: { Authorization: 'Bearer Oracle' } };

const Instance = type({
  id: /^ocid1\.instance\./,
  compartmentId: /^ocid1\.(?:compartment|tenancy)\./,
  region: 'string > 0',
  'canonicalRegionName?': 'string > 0',
});

const Vnics = type({
  vnicId: /^ocid1\.vnic\./,
  privateIp: IPv4,
  subnetCidrBlock: IPv4Cidr,
  'macAddr?': 'string',
})
  .array()
  .atLeastLength(1);

/**
 * OCI IMDS v2 (`Authorization: Bearer Oracle`): the instance's compartment and region, and its VNICs with
 * their primary private IPs and subnet CIDRs. The subnet OCID is not in IMDS, so it comes from config.
 */
export async function discoverOciIdentity(imds: MetadataClient, config: OciConfig): Promise<RouterIdentity> {
  if (!config.subnetId) {
    throw new MetadataProblem({
      severity: 'error',
      summary: 'OCI IMDS does not give the subnet OCID: set config.subnetId (or give config.identity)',
    });
  }
  const instance = await imds.json('/opc/v2/instance/', Instance, BEARER);
  const vnics = await imds.json('/opc/v2/vnics/', Vnics, BEARER);
  const vnic = config.vnicId ? vnics.find((v) => v.vnicId === config.vnicId) : vnics[0];
  if (!vnic) throw imds.malformed('/opc/v2/vnics/', {}, `no VNIC ${config.vnicId}`);
  return {
    nicRef: vnic.vnicId,
    subnetCidr: vnic.subnetCidrBlock,
    // IMDS lists each VNIC's primary private IP only: all of them are the router's own.
    ownAddresses: vnics.map((v) => v.privateIp),
    // The CLI's --region wants the full name (ap-tokyo-1); older IMDS `region` values are short keys (nrt).
    region: instance.canonicalRegionName ?? instance.region,
    subnetRef: config.subnetId,
    compartmentId: instance.compartmentId,
  };
}

/** The private-IP look-ups need the subnet OCID; everything else has a fallback. */
export const ociImdsV2: IdentityDiscovery<OciConfig> = {
  service: 'OCI IMDS v2',
  defaultBaseUrl: 'http://169.254.169.254',
  requiredIdentity: ['subnetRef'],
  discover: discoverOciIdentity,
};
