import { defineAddressClaimPlugin } from '@routerd/plugin-sdk/domain';
import { ociCli } from './commands.js';
import { OciConfig } from './config.js';
import { ociImdsV2 } from './metadata.js';
import { PLUGIN_VERSION } from './version.js';

export const ociPlugin = defineAddressClaimPlugin({
  provider: 'oci',
  version: PLUGIN_VERSION,
  configSchema: OciConfig,
  identity: ociImdsV2,
  cli: ociCli,
  // OCI Networking, VCNs and subnets: the first two addresses and the last one of every subnet are Oracle's.
  reservedAddresses: [
    { offset: 0, why: 'OCI: the network address' },
    { offset: 1, why: 'OCI: the default gateway' },
    { offset: -1, why: 'OCI: the broadcast address' },
  ],
});
