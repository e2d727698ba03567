import type { Type } from 'arktype';

/**
 * JSON Schema (2020-12) of an arktype schema, under routerd's schema ids. Predicates that JSON Schema
 * cannot say (an event's size, a real calendar date) are left out here and documented instead. A module
 * of its own, without the catalogue: a plugin's config schema is converted without building the SDK's.
 */
export function toJsonSchema(schema: Type<unknown>, id: string): Record<string, unknown> {
  const js = schema.toJsonSchema({
    fallback: { predicate: (ctx) => ctx.base, default: (ctx) => ctx.base },
  }) as Record<string, unknown>;
  return { ...js, $id: `https://routerd.net/schema/plugin/v1/${id}` };
}
