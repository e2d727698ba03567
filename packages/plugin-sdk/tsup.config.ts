import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'protocol/index': 'src/protocol/index.ts',
    'server/index': 'src/server/index.ts',
    'client/index': 'src/client/index.ts',
    'testing/index': 'src/testing/index.ts',
    'domain/index': 'src/domain/index.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Bundled, not imported: json-rpc-2.0 is CommonJS, and loading it through Node's CommonJS bridge (its
  // export lexer, the loader) was ~40 ms of a plugin's start (issue 18). It stays a dependency for its types.
  noExternal: ['json-rpc-2.0'],
});
