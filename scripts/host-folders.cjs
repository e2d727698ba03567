// The folder map of packages/host/src: .dependency-cruiser.cjs enforces it, packages/host/README.md shows it
// (tests/architecture checks that the two agree).

/**
 * Each folder of packages/host/src and the folders it may import. Besides these, every folder may import
 * the root helpers (src/*.ts: clock, validation, metrics, …), @routerd/host-wire and the SDK. The root
 * helpers import no folder; src/index.ts (the package entry) and daemon/ (which only wires) import any.
 */
const HOST_FOLDERS = {
  config: [],
  store: [],
  events: ['config', 'store'],
  federation: ['config', 'events', 'store'],
  plugins: ['config', 'events', 'store'],
  dynamic: ['config', 'events', 'store'],
  subscriptions: ['config', 'events', 'federation', 'store'],
  doctor: ['config', 'federation', 'store'],
  retention: ['config', 'store'],
  actions: ['config', 'store'],
  control: [
    'actions',
    'config',
    'doctor',
    'dynamic',
    'events',
    'federation',
    'plugins',
    'retention',
    'store',
    'subscriptions',
  ],
  'status-page': ['config', 'control'],
  telemetry: ['config', 'events', 'store', 'subscriptions'],
  testing: [],
  bin: ['daemon'],
  daemon: ['*'],
};

module.exports = { HOST_FOLDERS };
