import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per binary: src/<bin>/main.ts → dist/<bin>.js.
  entry: {
    routerctl: 'src/routerctl/main.ts',
    'routerd-plugin': 'src/routerd-plugin/main.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
});
