// The package root is runtime-neutral except for Buffer in the event size check: protocol types and helpers.
// Node-only parts live behind subpaths: /server (plugin runtime), /client (host side), /testing.
export * from './protocol/index.js';
