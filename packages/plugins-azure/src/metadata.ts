import { IPv4 } from '@routerd/plugin-sdk';
import {
  type IdentityDiscovery,
  type MetadataClient,
  MetadataProblem,
  type RouterIdentity,
} from '@routerd/plugin-sdk/domain';
import { type } from 'arktype';
import type { AzureConfig } from './config.js';

/** The part of `GET /metadata/instance` the plugin reads; other fields are ignored. */
const AzureInstance = type({
  compute: { location: 'string > 0', resourceGroupName: 'string > 0', subscriptionId: 'string > 0' },
  network: {
    interface: type({
      macAddress: 'string',
      ipv4: {
        ipAddress: type({ privateIpAddress: IPv4 }).array().atLeastLength(1),
        subnet: type({ address: IPv4, prefix: /^(?:3[0-2]|[12]?\d)$/ })
          .array()
          .atLeastLength(1),
      },
    })
      .array()
      .atLeastLength(1),
  },
});

/** IMDS writes MACs as `000D3A328570`; operators write them with separators. */
const normalizeMac = (mac: string) => mac.replace(/[-:]/g, '').toUpperCase();

export function azureNicId(subscriptionId: string, resourceGroup: string, nicName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/networkInterfaces/${nicName}`;
}

/**
 * Azure IMDS (`Metadata: true`): location, subscription, resource group, and per interface its addresses
 * and subnet. IMDS does not name NICs, so the name comes from config, and on a VM with several interfaces
 * config.macAddress says which one it is. The first address of each interface is its primary ip-config's;
 * later ones may be addresses captured earlier.
 */
export async function discoverAzureIdentity(
  imds: MetadataClient,
  config: AzureConfig,
): Promise<RouterIdentity> {
  if (!config.nicName) {
    throw new MetadataProblem({
      severity: 'error',
      summary: 'Azure IMDS does not name the NIC: set config.nicName (or give config.identity)',
    });
  }
  const path = `/metadata/instance?api-version=${config.imdsApiVersion}`;
  const instance = await imds.json(path, AzureInstance, { headers: { Metadata: 'true' } });
  const interfaces = instance.network.interface;
  // IMDS lists interfaces by MAC only; with more than one, the first need not be config.nicName, and its
  // subnet would bound the scope while the commands act on another NIC.
  if (!config.macAddress && interfaces.length > 1) {
    throw new MetadataProblem({
      severity: 'error',
      summary: `Azure IMDS lists ${interfaces.length} interfaces: set config.macAddress to the MAC of NIC ${config.nicName}`,
      detail: `MACs ${interfaces.map((i) => i.macAddress).join(', ')}; without it the subnet could be read from another NIC than the one the commands change (or give config.identity)`,
    });
  }
  const nic = config.macAddress
    ? interfaces.find((i) => normalizeMac(i.macAddress) === normalizeMac(config.macAddress!))
    : interfaces[0];
  if (!nic) throw imds.malformed(path, {}, `no interface with MAC ${config.macAddress}`);
  const subnet = nic.ipv4.subnet[0]!;
  const resourceGroup = config.resourceGroup ?? instance.compute.resourceGroupName;
  return {
    nicRef: azureNicId(instance.compute.subscriptionId, resourceGroup, config.nicName),
    subnetCidr: `${subnet.address}/${subnet.prefix}`,
    ownAddresses: interfaces.map((i) => i.ipv4.ipAddress[0]!.privateIpAddress),
    region: instance.compute.location,
    resourceGroup,
    nicName: config.nicName,
    subscriptionId: instance.compute.subscriptionId,
  };
}

export const azureImds: IdentityDiscovery<AzureConfig> = {
  service: 'Azure IMDS',
  defaultBaseUrl: 'http://169.254.169.254',
  // ip-config and nic commands address the NIC by group and name.
  requiredIdentity: ['resourceGroup', 'nicName'],
  discover: discoverAzureIdentity,
};
