// The tsup build of an executable routerd plugin package: `export { default } from
// '@routerd/plugin-sdk/build/plugin-tsup'` in its tsup.config.ts. Expects src/index.ts and src/main.ts.
import { writeConfigSchema } from './config-schema.mjs';

export default [
  // The library entry, for tests and hosts that import the plugin; dependencies stay external. Once
  // built, the config JSON Schema package.json names ("routerd.configSchema") is written from it.
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: {
      // tsup bases the declaration build at '.' (baseUrl), which lets TypeScript name a type the SDK
      // declares in one of its build chunks 'node_modules/@routerd/plugin-sdk/dist/<chunk>.js' — a file
      // the package's .d.ts then imports and no install has (TS2307). Based at src/, such a type is a build
      // error (TS2742) instead, and a type reached through the SDK's public subpaths stays an import of them.
      compilerOptions: { baseUrl: 'src' },
    },
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
    // An ESM bundle that holds CommonJS dependencies: `require` is defined for their calls to Node's
    // built-ins, and the file shows ESM syntax, so tools that tell the format from the source (publint)
    // read it as the ESM it is.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);",
    },
  },
];
