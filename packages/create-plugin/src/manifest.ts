// The project's package.json. Every range comes from the SDK this package was built with
// (scaffoldBase), so a new project gets what the SDK itself declares and was tested with.
import { unscopedName } from './names.js';
import { scaffoldBase } from './scaffold-base.js';

/** A new project's first version. */
export const PROJECT_VERSION = '0.1.0';

export interface ProjectManifest {
  name: string;
  version: string;
  description: string;
  type: 'module';
  engines: { node: string };
  bin: Record<string, string>;
  main: string;
  types: string;
  exports: Record<string, string | { types: string; import: string }>;
  routerd: { configSchema: string };
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  overrides?: Record<string, string>;
}

export function projectManifest(o: { name: string; description: string; capabilities: readonly string[] }) {
  const { sdk, conformance, tools } = scaffoldBase;
  const manifest: ProjectManifest = {
    name: o.name,
    version: PROJECT_VERSION,
    description: o.description,
    type: 'module',
    engines: { node: scaffoldBase.node },
    bin: { [unscopedName(o.name)]: './dist/main.js' },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: {
      '.': { types: './dist/index.d.ts', import: './dist/index.js' },
      './config.schema.json': './dist/config.schema.json',
    },
    // routerd-eventd check finds this file from the Plugin's executable and checks spec.config with it.
    routerd: { configSchema: './dist/config.schema.json' },
    files: ['dist'],
    scripts: {
      build: 'tsup',
      test: 'vitest run',
      typecheck: 'tsc --noEmit',
      // Grants what the plugin declares, as the Plugin resource in routerd.example.yaml does.
      conformance: `routerd-plugin test ./dist/main.js --grant ${o.capabilities.join(',')}`,
    },
    dependencies: {
      [sdk.name]: `^${sdk.version}`,
      arktype: scaffoldBase.arktype,
    },
    devDependencies: {
      [conformance.name]: `^${conformance.version}`,
      ...tools,
    },
  };
  return manifest;
}
