export { awsCommands } from './commands.js';
export { AwsConfig } from './config.js';
export { discoverAwsIdentity } from './metadata.js';
export { awsAdapter, awsPlugin } from './plugin.js';
export { PLUGIN_VERSION } from './version.js';
