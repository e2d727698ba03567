import { defineAddressClaimPlugin } from '@routerd/plugin-sdk/domain';
import { awsCli } from './commands.js';
import { AwsConfig } from './config.js';
import { imdsV2 } from './metadata.js';
import { PLUGIN_VERSION } from './version.js';

/** The AWS address-claim plugin (`propose.dynamicConfig` + `propose.providerAction`). */
export const awsPlugin = defineAddressClaimPlugin({
  provider: 'aws',
  version: PLUGIN_VERSION,
  configSchema: AwsConfig,
  identity: imdsV2,
  cli: awsCli,
  // EC2 API reference, CreateSubnet: the first four and the last IPv4 address of every subnet are AWS's.
  reservedAddresses: [
    { offset: 0, why: 'AWS: the network address' },
    { offset: 1, why: 'AWS: the VPC router' },
    { offset: 2, why: 'AWS: the Amazon DNS server' },
    { offset: 3, why: 'AWS: reserved for future use' },
    { offset: -1, why: 'AWS: the network broadcast address' },
  ],
});
