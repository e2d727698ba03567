import { SCENARIO_OWN_ADDRESS, SCENARIO_SUBNET } from '@routerd/plugin-sdk/testing';

export const ENI = 'eni-0abc1234def567890';
export const REGION = 'ap-northeast-1';

/** An identity in the scenario subnet, so no metadata request is made. */
export const TEST_IDENTITY = {
  nicRef: ENI,
  subnetCidr: SCENARIO_SUBNET,
  subnetRef: 'subnet-0123456789abcdef0',
  region: REGION,
  ownAddresses: [SCENARIO_OWN_ADDRESS],
};

export const TEST_CONFIG = {
  identity: TEST_IDENTITY,
  // Wider than the NIC's subnet: the plugin must still keep to the subnet.
  allowedCidrs: ['10.88.0.0/16'],
  teardownGrace: '30m',
  auth: { profile: 'routerd-ops' },
};
