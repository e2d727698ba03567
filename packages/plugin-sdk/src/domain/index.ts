// @routerd/plugin-sdk/domain: the provider-independent half of an address-claim plugin. A provider
// package supplies a ProviderAdapter (metadata discovery, CLI argv, outcome patterns, auth mode) and
// gets the whole plugin from defineAddressClaimPlugin.
export * from './adapter.js';
export * from './config.js';
export * from './discovery.js';
export * from './identity.js';
export * from './metadata.js';
export * from './names.js';
export * from './observations.js';
export * from './outcomes.js';
export * from './patterns.js';
export * from './plans.js';
export * from './plugin.js';
export * from './scope.js';
export * from './steps.js';
