import { defineAddressClaimPlugin, type ProviderAdapter } from '@routerd/plugin-sdk/domain';
import { awsCommands } from './commands.js';
import { AwsConfig } from './config.js';
import { discoverAwsIdentity } from './metadata.js';
import { PLUGIN_VERSION } from './version.js';

export const awsAdapter: ProviderAdapter<AwsConfig> = {
  provider: 'aws',
  plugin: { name: 'aws-address-claim', version: PLUGIN_VERSION },
  tool: 'aws',
  // The CLI finds the instance profile through IMDSv2 itself; the plan only names it.
  instanceIdentity: 'instance-profile',
  configSchema: AwsConfig,
  requiredIdentity: ['region'],
  metadata: { service: 'AWS IMDSv2', defaultBaseUrl: 'http://169.254.169.254' },
  discover: discoverAwsIdentity,
  commands: awsCommands,
  forwardingEffect: (nic) =>
    `the source/destination check is off on ${nic}, so it forwards traffic for addresses it does not own`,
};

/** The AWS address-claim plugin (`propose.dynamicConfig` + `propose.providerAction`). */
export const awsPlugin = defineAddressClaimPlugin(awsAdapter);
