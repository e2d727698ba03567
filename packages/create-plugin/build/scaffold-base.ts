// What a scaffolded project takes from the SDK it is written for, read when this package is built (the
// published create package carries no SDK): the SDK's and the conformance suite's versions, the ranges
// the SDK declares for arktype, Node and its build tools, and the capabilities of its published schema.
// tsup.config.ts and vitest.config.ts hand it to the code as the constant __SCAFFOLD_BASE__.
import { readFileSync } from 'node:fs';

export interface ScaffoldBase {
  sdk: { name: string; version: string };
  conformance: { name: string; version: string };
  /** The SDK's engines.node. */
  node: string;
  /** The arktype range the SDK declares (a peer dependency, else a dependency). */
  arktype: string;
  /** The SDK's own build and test tools, whose configs (build/plugin-tsup) the project reuses. */
  tools: Record<'@types/node' | 'tsup' | 'typescript' | 'vitest', string>;
  /** Every capability protocol v1 knows, from the SDK's initialize-result JSON Schema. */
  capabilities: string[];
}

interface Manifest {
  name: string;
  version: string;
  engines: { node: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const read = <T>(path: string): T =>
  JSON.parse(readFileSync(new URL(`../node_modules/${path}`, import.meta.url), 'utf8')) as T;

export function readScaffoldBase(): ScaffoldBase {
  const sdk = read<Manifest>('@routerd/plugin-sdk/package.json');
  const conformance = read<Manifest>('@routerd/conformance/package.json');
  const initializeResult = read<{ properties: { capabilities: { items: { enum: string[] } } } }>(
    '@routerd/plugin-sdk/schema/initialize-result.schema.json',
  );
  const tool = (name: keyof ScaffoldBase['tools']) => {
    const range = sdk.devDependencies?.[name];
    if (!range) throw new Error(`${sdk.name} declares no devDependency ${name} for scaffolded projects`);
    return range;
  };
  const arktype = sdk.peerDependencies?.arktype ?? sdk.dependencies?.arktype;
  if (!arktype) throw new Error(`${sdk.name} declares no arktype range`);
  return {
    sdk: { name: sdk.name, version: sdk.version },
    conformance: { name: conformance.name, version: conformance.version },
    node: sdk.engines.node,
    arktype,
    tools: {
      '@types/node': tool('@types/node'),
      tsup: tool('tsup'),
      typescript: tool('typescript'),
      vitest: tool('vitest'),
    },
    capabilities: initializeResult.properties.capabilities.items.enum,
  };
}

/** The `define` entry of both configs. */
export const scaffoldBaseDefine = () => ({ __SCAFFOLD_BASE__: JSON.stringify(readScaffoldBase()) });
