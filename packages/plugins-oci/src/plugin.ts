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
});
