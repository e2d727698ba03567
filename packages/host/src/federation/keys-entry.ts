// `@routerd/host/keys`: key files and Standard Webhooks signing, without the rest of the daemon (so
// `routerctl keys generate` starts fast, and tools can sign or verify a captured request offline), and
// who may read a key file (routerctl keys generate run as root names the chown to run).
export { DAEMON_USER, groupName, userExists, userName } from '../os-users.js';
export * from './secrets.js';
export * from './signing.js';
