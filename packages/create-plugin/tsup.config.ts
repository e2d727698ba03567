import { defineConfig } from 'tsup';
import { scaffoldBaseDefine } from './build/scaffold-base.js';

export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  define: scaffoldBaseDefine(),
});
