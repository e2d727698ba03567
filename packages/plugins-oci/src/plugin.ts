import { defineAddressClaimPlugin, type ProviderAdapter } from '@routerd/plugin-sdk/domain';
import { ociCommands } from './commands.js';
import { OciConfig } from './config.js';
import { discoverOciIdentity } from './metadata.js';
import { PLUGIN_VERSION } from './version.js';

export const ociAdapter: ProviderAdapter<OciConfig> = {
  provider: 'oci',
  plugin: { name: 'oci-address-claim', version: PLUGIN_VERSION },
  tool: 'oci',
  // Every step carries `--auth instance_principal`: a dynamic group and policy grant the instance.
  instanceIdentity: 'instance-principal',
  configSchema: OciConfig,
  requiredIdentity: ['subnetRef'],
  metadata: { service: 'OCI IMDS v2', defaultBaseUrl: 'http://169.254.169.254' },
  discover: discoverOciIdentity,
  commands: ociCommands,
  forwardingEffect: (nic) =>
    `skip-source-dest-check is true on ${nic}, so it forwards traffic for addresses it does not own`,
};

/** The OCI address-claim plugin (`propose.dynamicConfig` + `propose.providerAction`). */
export const ociPlugin = defineAddressClaimPlugin(ociAdapter);
