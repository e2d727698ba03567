export { ociCli, ociCommands } from './commands.js';
export { OciConfig } from './config.js';
export { discoverOciIdentity, ociImdsV2 } from './metadata.js';
export { ociPlugin } from './plugin.js';
export { PLUGIN_VERSION } from './version.js';
