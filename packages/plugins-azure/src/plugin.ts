import { defineAddressClaimPlugin, type ProviderAdapter } from '@routerd/plugin-sdk/domain';
import { azureCommands, ipConfigName } from './commands.js';
import { AzureConfig } from './config.js';
import { discoverAzureIdentity } from './metadata.js';
import { PLUGIN_VERSION } from './version.js';

export const azureAdapter: ProviderAdapter<AzureConfig> = {
  provider: 'azure',
  plugin: { name: 'azure-address-claim', version: PLUGIN_VERSION },
  tool: 'az',
  // The executor signs in with `az login --identity` first; the plan only names the mode.
  instanceIdentity: 'managed-identity',
  configSchema: AzureConfig,
  requiredIdentity: ['resourceGroup', 'nicName'],
  metadata: { service: 'Azure IMDS', defaultBaseUrl: 'http://169.254.169.254' },
  discover: discoverAzureIdentity,
  targetExtras: (_identity, ip) => (ip ? { ipConfigName: ipConfigName(ip) } : {}),
  commands: azureCommands,
  forwardingEffect: (nic) =>
    `IP forwarding is enabled on ${nic}, so Azure delivers to it traffic for addresses it does not own`,
};

/** The Azure address-claim plugin (`propose.dynamicConfig` + `propose.providerAction`). */
export const azurePlugin = defineAddressClaimPlugin(azureAdapter);
