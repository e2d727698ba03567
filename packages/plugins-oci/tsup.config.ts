import { defineConfig } from 'tsup';

export default defineConfig([
  // The library entry: for hosts and tests that import the adapter; dependencies stay external.
  { entry: { index: 'src/index.ts' }, format: ['esm'], dts: true, sourcemap: true, target: 'node20' },
  // The executable the host spawns (no shell, so it names its interpreter). One bundled file starts about
  // twice as fast as resolving the SDK's and arktype's module graphs, and a plugin's start is its handshake.
  {
    entry: { main: 'src/main.ts' },
    format: ['esm'],
    noExternal: [/.*/],
    platform: 'node',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
