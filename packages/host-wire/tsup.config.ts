import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    // No schemas and no dependencies: what routerctl needs on its hot path (routes, limits, file names).
    constants: 'src/constants.ts',
    keys: 'src/keys/index.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
