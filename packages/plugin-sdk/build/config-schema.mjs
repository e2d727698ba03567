// Writes a plugin package's config JSON Schema from its built plugin definition, to the file its
// package.json names in "routerd": {"configSchema": ...}; `routerd-eventd check` reads that file to
// check a Plugin's spec.config before anything starts (the host never imports a plugin package).
// Run after the build, from the package directory: plugin-tsup does it in its onSuccess.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configJsonSchema } from '../dist/server/index.js';

const isPluginDefinition = (v) =>
  v !== null &&
  typeof v === 'object' &&
  typeof v.name === 'string' &&
  typeof v.version === 'string' &&
  Array.isArray(v.capabilities);

/** The package's one exported plugin definition (dist/index.js) → its "routerd.configSchema" file. */
export async function writeConfigSchema(dir = process.cwd()) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const target = pkg.routerd?.configSchema;
  if (typeof target !== 'string') return undefined;
  const mod = await import(`${pathToFileURL(join(dir, 'dist', 'index.js')).href}?at=${Date.now()}`);
  const definitions = [...new Set(Object.values(mod).filter(isPluginDefinition))];
  if (definitions.length !== 1) {
    throw new Error(
      `${pkg.name}: dist/index.js must export exactly one plugin definition to write ${target} (found ${definitions.length})`,
    );
  }
  const schema = configJsonSchema(definitions[0]);
  if (!schema)
    throw new Error(`${pkg.name}: its plugin has no configSchema, but package.json names ${target}`);
  const file = join(dir, target);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  return file;
}
