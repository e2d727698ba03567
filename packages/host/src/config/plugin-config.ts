/**
 * A Plugin's `spec.config` checked before anything starts, against the JSON Schema of the plugin's config:
 * the file `spec.configSchema` names, or else the one the plugin's package ships (package.json
 * `"routerd": {"configSchema": ...}` in the package that holds the executable). The host reads that
 * file; it never imports a plugin package. A plugin without either is checked only by itself, at
 * `initialize`.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { toPointer, unknownFieldMessage } from '@routerd/plugin-sdk';
import type { Ajv2020, ErrorObject } from 'ajv/dist/2020.js';
import { type ConfigIssue, issueIn, type Located } from './issues.js';
import type { Plugin } from './schemas.js';

/**
 * ajv, loaded the first time a plugin's config has a schema to be checked against: most routers run no
 * such plugin, and ajv is ~1 MB of heap (issue 18). It is CommonJS, so it loads synchronously here.
 */
function ajv2020(): typeof Ajv2020 {
  return (createRequire(import.meta.url)('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020;
}

/** Where a Plugin's config schema comes from: named in its spec, or shipped by its package. */
export type ConfigSchemaSource = { file: string; via: 'spec' | 'package' } | undefined;

/** The package.json nearest above the executable's real path (an installed plugin is a symlink). */
function owningPackage(executable: string): { dir: string; json: unknown } | undefined {
  let dir: string;
  try {
    dir = dirname(realpathSync(executable));
  } catch {
    return undefined; // no executable: its spawn says so
  }
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        return { dir, json: JSON.parse(readFileSync(file, 'utf8')) };
      } catch {
        return undefined;
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function configSchemaSource(plugin: Plugin): ConfigSchemaSource {
  if (plugin.spec.configSchema) return { file: plugin.spec.configSchema, via: 'spec' };
  const pkg = owningPackage(plugin.spec.executable);
  const named = (pkg?.json as { routerd?: { configSchema?: unknown } } | undefined)?.routerd?.configSchema;
  if (!pkg || typeof named !== 'string') return undefined;
  return { file: resolve(pkg.dir, named), via: 'package' };
}

/** Every problem of every Plugin's config, as config issues at `/spec/config/...`. */
export function checkPluginConfigs(plugins: readonly Located<Plugin>[]): ConfigIssue[] {
  return plugins.flatMap((p) => checkPluginConfig(p));
}

function checkPluginConfig(located: Located<Plugin>): ConfigIssue[] {
  const source = configSchemaSource(located.resource);
  if (!source) return [];
  let schema: Record<string, unknown>;
  try {
    schema = JSON.parse(readFileSync(source.file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    return [
      source.via === 'spec'
        ? issueIn(located, '/spec/configSchema', `cannot be read as a JSON Schema: ${reason}`)
        : issueIn(
            located,
            '/spec/executable',
            `belongs to a plugin package whose config schema ${source.file} cannot be read (${reason}): build or reinstall the plugin, or name a schema in spec.configSchema`,
          ),
    ];
  }
  let validate: ReturnType<Ajv2020['compile']>;
  try {
    // A fresh instance per schema: two plugins of one package share the schema's $id.
    validate = new (ajv2020())({ allErrors: true, verbose: true, strict: false }).compile(schema);
  } catch (err) {
    return [
      issueIn(
        located,
        '/spec/configSchema',
        `${source.file} is not a usable JSON Schema: ${(err as Error).message}`,
      ),
    ];
  }
  if (validate(located.resource.spec.config)) return [];
  // In the order an operator reads the file, not the order the schema lists its fields.
  return describeErrors(validate.errors ?? [])
    .map((e) => issueIn(located, `/spec/config${e.path}`, e.message))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/**
 * ajv's errors in an operator's words: an unknown field lists the fields its object has; a failed union
 * says what each branch would accept instead of every branch's complaint; a value is shown as it was.
 */
function describeErrors(errors: ErrorObject[]): { path: string; message: string }[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  const out = new Map<string, string>();
  for (const e of errors) {
    if (e.keyword === 'additionalProperties') {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      out.set(`${e.instancePath}${toPointer([field])}`, unknownFieldMessage(known));
      continue;
    }
    if (unions.some((u) => e.schemaPath.startsWith(u))) continue;
    if (out.has(e.instancePath)) continue; // one problem per value: the first says enough
    out.set(e.instancePath, describeValueError(e));
  }
  return [...out].map(([path, message]) => ({ path, message }));
}

function describeValueError(e: ErrorObject): string {
  const was = e.data === undefined ? '' : ` (was ${JSON.stringify(e.data)})`;
  if (e.keyword === 'required') return `${e.message}`;
  const parent = e.parentSchema as {
    description?: string;
    anyOf?: { description?: string; type?: string }[];
  };
  if (e.keyword === 'anyOf' && parent.anyOf) {
    const accepted = parent.anyOf.map((b) => b.description ?? b.type ?? 'another value');
    return `must be ${[...new Set(accepted)].join(' or ')}${was}`;
  }
  if (parent?.description && ['pattern', 'type', 'format', 'enum', 'const'].includes(e.keyword))
    return `must be ${parent.description}${was}`;
  return `${e.message}${was}`;
}
