import { defineAddressClaimPlugin } from '@routerd/plugin-sdk/domain';
import { azureCli } from './commands.js';
import { AzureConfig } from './config.js';
import { azureImds } from './metadata.js';
import { PLUGIN_VERSION } from './version.js';

/** The Azure address-claim plugin: IMDS for who the router is, `az network nic` for what to change. */
export const azurePlugin = defineAddressClaimPlugin({
  provider: 'azure',
  version: PLUGIN_VERSION,
  configSchema: AzureConfig,
  identity: azureImds,
  cli: azureCli,
  // Azure Virtual Network FAQ: x.x.x.0, .1 (default gateway), .2 and .3 (Azure DNS) and the last address.
  reservedAddresses: [
    { offset: 0, why: 'Azure: the network address' },
    { offset: 1, why: 'Azure: the default gateway' },
    { offset: 2, why: 'Azure: mapped to the Azure DNS IPs' },
    { offset: 3, why: 'Azure: mapped to the Azure DNS IPs' },
    { offset: -1, why: 'Azure: the network broadcast address' },
  ],
});
