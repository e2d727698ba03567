export { azureCommands, ipConfigName } from './commands.js';
export { AzureConfig } from './config.js';
export { azureNicId, discoverAzureIdentity } from './metadata.js';
export { azureAdapter, azurePlugin } from './plugin.js';
export { PLUGIN_VERSION } from './version.js';
