import { writeConfigSchema } from '@routerd/plugin-sdk/build/config-schema';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', main: 'src/main.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // dist/main.js is the executable the host spawns directly (no shell), so it names its interpreter.
  // The line is harmless in index.js: Node accepts a hashbang at the top of any module.
  banner: { js: '#!/usr/bin/env node' },
  // dist/config.schema.json (package.json "routerd.configSchema"), which routerd-eventd check reads.
  onSuccess: async () => {
    await writeConfigSchema();
  },
});
