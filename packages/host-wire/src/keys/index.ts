// `@routerd/host-wire/keys`: the key-file formats (HMAC secrets, Ed25519 private and public keys: parse,
// generate) and who may read a key file (owner names from getent, the daemon's user): one implementation
// for routerd-eventd and `routerctl keys`. Only node:crypto and node:child_process, so `routerctl keys
// generate` starts fast.
export * from './ed25519-format.js';
export * from './os-users.js';
export * from './secret-format.js';
