// `@routerd/host-wire/keys`: the secret-file format (parse, generate) and who may read a key file (owner
// names from getent, the daemon's user): one implementation for routerd-eventd and `routerctl keys`.
// Only node:crypto and node:child_process, so `routerctl keys generate` starts fast.
export * from './os-users.js';
export * from './secret-format.js';
