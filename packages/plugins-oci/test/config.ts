import { SCENARIO_OWN_ADDRESS, SCENARIO_SUBNET } from '@routerd/plugin-sdk/testing';

export const VNIC = 'ocid1.vnic.oc1.ap-tokyo-1.abxhiljrrouter';
export const SUBNET = 'ocid1.subnet.oc1.ap-tokyo-1.aaaaaaaaedge';
export const COMPARTMENT = 'ocid1.compartment.oc1..aaaaaaaanet';

export const TEST_IDENTITY = {
  nicRef: VNIC,
  subnetCidr: SCENARIO_SUBNET,
  subnetRef: SUBNET,
  region: 'ap-tokyo-1',
  compartmentId: COMPARTMENT,
  ownAddresses: [SCENARIO_OWN_ADDRESS],
};

export const TEST_CONFIG = {
  identity: TEST_IDENTITY,
  // Wider than the NIC's subnet: the plugin must still keep to the subnet.
  allowedCidrs: ['10.88.0.0/16'],
  teardownGrace: '30m',
  auth: { profile: 'DEFAULT', env: true },
};
