// @routerd/host: the routerd-eventd daemon as a library (for embedding and tests). The control API's
// wire types are the package @routerd/host-wire; test helpers that run the real daemon at `@routerd/host/testing`.
export * from './actions/index.js';
export * from './clock.js';
export { ConfigHolder } from './config/holder.js';
export * from './config/index.js';
export { createControlApp } from './control/app.js';
export { listenOnSocket, SocketInUseError } from './control/server.js';
export { Daemon } from './daemon/daemon.js';
export * from './events/emit.js';
export * from './events/no-observe.js';
/** Events per delivery request (benchmarks give their raw baseline the same batches). */
export { DEFAULT_MAX_BATCH } from './federation/outbox.js';
export * from './plugins/plugin-host.js';
export * from './plugins/schemas.js';
export * from './store/action-journal.js';
export * from './store/database.js';
// The outbox ledger, for tools that drive the stores without a daemon (bench/fixtures/bare-forwarder.mjs).
export { DeliveryStore } from './store/deliveries.js';
export { recountEvents } from './store/event-counts.js';
export * from './store/events.js';
export * from './store/migrations.js';
export * from './store/plugin-runs.js';
export { VERSION } from './version.js';
