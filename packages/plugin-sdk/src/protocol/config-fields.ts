/**
 * How a plugin's config is checked for unknown fields, said once for the two places that check it: the
 * plugin at `initialize` (the SDK, from the arktype schema) and `routerd-eventd check` (the host, from
 * the JSON Schema the plugin package ships).
 */

/** The message for a field the config schema does not declare, e.g. `absentAftr` for `absentAfter`. */
export function unknownFieldMessage(known: readonly string[]): string {
  const hint = known.length > 0 ? ` (fields here: ${[...known].sort().join(', ')})` : '';
  return `is not a known field here: remove it or check its spelling${hint}`;
}

type JsonSchemaNode = {
  type?: unknown;
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
};

/**
 * The field names a JSON Schema declares for the object at `path` (segments from the schema's root),
 * through nested objects, arrays and unions. Empty when the path leads nowhere the schema describes.
 */
export function knownFieldsAt(schema: unknown, path: readonly (string | number)[]): string[] {
  let nodes: JsonSchemaNode[] = [schema as JsonSchemaNode];
  for (const segment of path) {
    nodes = expand(nodes).flatMap((n) => {
      const prop = n.properties?.[String(segment)];
      if (prop) return [prop];
      return n.items && /^\d+$/.test(String(segment)) ? [n.items] : [];
    });
  }
  return [...new Set(expand(nodes).flatMap((n) => Object.keys(n.properties ?? {})))];
}

/** A union's branches in place of the union. */
function expand(nodes: JsonSchemaNode[]): JsonSchemaNode[] {
  return nodes.flatMap((n) => (n && typeof n === 'object' ? (n.anyOf ? expand(n.anyOf) : [n]) : []));
}
