export { azureCli, azureCommands, ipConfigName } from './commands.js';
export { AzureConfig } from './config.js';
export { azureImds, azureNicId, discoverAzureIdentity } from './metadata.js';
export { azurePlugin } from './plugin.js';
export { PLUGIN_VERSION } from './version.js';
