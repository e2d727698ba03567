import { SCENARIO_OWN_ADDRESS, SCENARIO_SUBNET } from '@routerd/plugin-sdk/testing';
import { azureNicId } from '../src/metadata.js';

export const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';
export const RESOURCE_GROUP = 'rg-edge';
export const NIC = 'router-nic';

export const TEST_IDENTITY = {
  nicRef: azureNicId(SUBSCRIPTION, RESOURCE_GROUP, NIC),
  subnetCidr: SCENARIO_SUBNET,
  region: 'japaneast',
  resourceGroup: RESOURCE_GROUP,
  nicName: NIC,
  subscriptionId: SUBSCRIPTION,
  ownAddresses: [SCENARIO_OWN_ADDRESS],
};

export const TEST_CONFIG = {
  identity: TEST_IDENTITY,
  // Wider than the NIC's subnet: the plugin must still keep to the subnet.
  allowedCidrs: ['10.88.0.0/16'],
  teardownGrace: '30m',
  auth: { env: true },
};
