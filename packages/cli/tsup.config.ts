import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per binary: src/<bin>/main.ts → dist/<bin>.js. routerd-plugin will be added beside routerctl.
  entry: {
    routerctl: 'src/routerctl/main.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
});
