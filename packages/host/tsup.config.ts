import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    keys: 'src/federation/keys-entry.ts',
    'bin/routerd-eventd': 'src/bin/routerd-eventd.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Needed by the bin entry; harmless in the library entries (Node ignores a hashbang line in modules),
  // and one build means one `clean` that cannot race a second build's output.
  banner: { js: '#!/usr/bin/env node' },
});
