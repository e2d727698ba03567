import { defineConfig } from 'tsup';

export default defineConfig({
  // The bin's source starts with #!/usr/bin/env node, which esbuild keeps (and tsup makes the file executable).
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'routerd-plugin': 'src/bin/routerd-plugin.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
