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

export const TEST_CONFIG = { identity: TEST_IDENTITY, teardownGrace: '30m', auth: { env: true } };
