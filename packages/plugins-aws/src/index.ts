export { awsCli, awsCommands } from './commands.js';
export { AwsConfig } from './config.js';
export { discoverAwsIdentity, imdsV2 } from './metadata.js';
export { awsPlugin } from './plugin.js';
export { PLUGIN_VERSION } from './version.js';
