// `@routerd/host/keys`: key files and Standard Webhooks signing, without the rest of the daemon (so
// `routerctl keys generate` starts fast, and tools can sign or verify a captured request offline).
export * from './secrets.js';
export * from './signing.js';
