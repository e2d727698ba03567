import type { Type } from 'arktype';
import { isArkErrors } from '../protocol/ark-errors.js';
import { knownFieldsAt, unknownFieldMessage } from '../protocol/config-fields.js';
import { ErrorCodes, type Issue, ProtocolError } from '../protocol/errors.js';
import { toJsonSchema } from '../protocol/json-schema.js';
import { toPointer, type Validation } from '../protocol/validation.js';
import type { PluginDefinition } from './define-plugin.js';

/**
 * The schema a plugin's `spec.config` is checked against: its `configSchema`, refusing fields it does
 * not declare at any depth — a typo (`absentAftr`) would otherwise be dropped and its default used in
 * silence — unless the plugin set `acceptUnknownConfigFields`.
 */
export function effectiveConfigSchema<C>(plugin: PluginDefinition<C>): Type<C> | undefined {
  const schema = plugin.configSchema;
  if (!schema || plugin.acceptUnknownConfigFields) return schema;
  return schema.onDeepUndeclaredKey('reject') as unknown as Type<C>;
}

/**
 * The JSON Schema (2020-12) of a plugin's config, as its package ships it for `routerd-eventd check`.
 * Rules JSON Schema cannot say (a narrow: "at least one source") are left to the plugin's `initialize`.
 */
export function configJsonSchema(plugin: PluginDefinition<unknown>): Record<string, unknown> | undefined {
  const schema = effectiveConfigSchema(plugin);
  return schema && toJsonSchema(schema as Type<unknown>, `plugins/${plugin.name}/config.schema.json`);
}

/**
 * A checker for `initialize`'s `config`: issues carry `/config/...` JSON Pointers, and an unknown field
 * lists the fields its object does declare. Built once per plugin (the JSON Schema is derived lazily).
 */
export function configChecker<C>(plugin: PluginDefinition<C>): (value: unknown) => Validation<C> {
  const schema = effectiveConfigSchema(plugin);
  if (!schema) return (value) => ({ ok: true, value: value as C });
  let json: Record<string, unknown> | undefined;
  const known = (path: readonly PropertyKey[]) => {
    try {
      json ??= configJsonSchema(plugin as PluginDefinition<unknown>);
    } catch {
      return []; // a schema JSON Schema cannot express: the message goes without the list
    }
    return knownFieldsAt(json, path.slice(0, -1) as (string | number)[]);
  };
  return (value) => {
    const out = schema(value);
    if (!isArkErrors(out)) return { ok: true, value: out as C };
    // arktype's own words for an undeclared key are "must be removed": say what is wrong and what is known.
    const issues: Issue[] = out.map((e) => ({
      path: `/config${toPointer(e.path)}`,
      // The path is said once, by the pointer: `problem` is the message without arktype's own path.
      message: e.expected === 'removed' ? unknownFieldMessage(known(e.path)) : e.problem,
    }));
    return { ok: false, issues };
  };
}

/** `initialize`'s answer to a config that fails its schema: -32602 naming every offending path. */
export function invalidConfig(issues: Issue[]): ProtocolError {
  const list = issues.map((i) => `${i.path} ${i.message}`).join('; ');
  return new ProtocolError(ErrorCodes.InvalidParams, `invalid config: ${list}`, { issues });
}
