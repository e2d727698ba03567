export { ociCommands } from './commands.js';
export { OciConfig } from './config.js';
export { discoverOciIdentity } from './metadata.js';
export { ociAdapter, ociPlugin } from './plugin.js';
export { PLUGIN_VERSION } from './version.js';
