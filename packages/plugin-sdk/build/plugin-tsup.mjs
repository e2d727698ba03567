// The tsup build of an executable routerd plugin package: `export { default } from
// '@routerd/plugin-sdk/build/plugin-tsup'` in its tsup.config.ts. Expects src/index.ts and src/main.ts.
import { writeConfigSchema } from './config-schema.mjs';

export default [
  // The library entry, for tests and hosts that import the plugin; dependencies stay external. Once
  // built, the config JSON Schema package.json names ("routerd.configSchema") is written from it.
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    onSuccess: async () => {
      await writeConfigSchema();
    },
  },
  // The executable the host spawns without a shell, so it names its interpreter. One bundled file starts
  // about twice as fast as resolving the SDK's and arktype's module graphs, and a plugin's start is its
  // handshake time.
  {
    entry: { main: 'src/main.ts' },
    format: ['esm'],
    noExternal: [/.*/],
    platform: 'node',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
];
