// @routerd/host-wire: every schema of routerd-eventd's control API, with the types derived from them —
// shared by the daemon (which checks requests and builds responses with them) and routerctl. Imports
// only @routerd/plugin-sdk and arktype. Routes and constants alone: `@routerd/host-wire/constants`;
// the key-file format: `@routerd/host-wire/keys`.
export * from './actions.js';
export * from './constants.js';
export * from './doctor.js';
export * from './dynamic.js';
export * from './errors.js';
export * from './events.js';
export * from './federation.js';
export { lazyType } from './lazy-type.js';
export * from './plugins.js';
export * from './query.js';
export * from './status.js';
export * from './subscriptions.js';
export * from './trace.js';
