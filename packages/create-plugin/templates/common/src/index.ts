// The library entry: tests and tools import the plugin definition from here, and the build writes
// dist/config.schema.json from it (routerd-eventd check reads that file to check spec.config).
export { Config, plugin } from './plugin.js';
