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
});
