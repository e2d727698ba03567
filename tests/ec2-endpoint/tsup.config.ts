import { defineConfig } from 'tsup';

// Built so that plain Node can run it too (bench/actions.bench.mjs, the demo's --execute); vitest and
// the typecheck read the sources (package.json "types").
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
});
