// `@routerd/host/keys`: key files and Standard Webhooks signing, without the rest of the daemon, so tools
// can sign or verify a captured request offline. The key-file format and owner names are
// `@routerd/host-wire/keys` (routerctl's), re-exported here beside the signing they serve.
export * from '@routerd/host-wire/keys';
export { loadPrivateKeyFile, loadPublicKeyFile, loadSecretFile } from './secrets.js';
export * from './signing.js';
