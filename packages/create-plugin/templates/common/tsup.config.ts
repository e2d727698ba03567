// The SDK's build of a plugin package: src/index.ts → dist/index.js (the library entry, with types;
// dist/config.schema.json is written from it) and src/main.ts → dist/main.js, one bundled executable
// that starts about twice as fast as an unbundled one.
export { default } from '@routerd/plugin-sdk/build/plugin-tsup';
