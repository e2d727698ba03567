// @routerd/plugin-sdk/domain: the provider-independent half of an address-claim plugin. A provider
// package supplies a ProviderAdapter (metadata discovery, CLI argv, outcome patterns, auth mode) and
// gets the whole plugin from defineAddressClaimPlugin.

// What defineAddressClaimPlugin returns, nameable from here: a provider package that exports its plugin
// (and imports only this subpath) gets declarations that say `@routerd/plugin-sdk/domain` rather than an
// error (TS2742) or a path into the SDK's build chunks.
export type { PluginDefinition } from '../server/define-plugin.js';
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
