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
});
