import { toJsonSchema } from '@routerd/plugin-sdk';
import type { Type } from 'arktype';
import { ExpectedFailuresFile } from './expected-failures.js';
import { Report } from './report.js';
import { Vector } from './vectors.js';

/** The JSON Schemas this package publishes, by path relative to the package; generated from the arktype definitions. */
export function schemaFiles(): Record<string, Record<string, unknown>> {
  const make = (schema: Type<unknown>, id: string) => {
    const js = toJsonSchema(schema, id);
    return { ...js, $id: `https://routerd.net/schema/conformance/v1/${id}` };
  };
  return {
    'schema/report.schema.json': make(Report as Type<unknown>, 'report.schema.json'),
    'schema/expected-failures.schema.json': make(
      ExpectedFailuresFile as Type<unknown>,
      'expected-failures.schema.json',
    ),
    'vectors/vectors.schema.json': make(Vector as Type<unknown>, 'vectors.schema.json'),
  };
}
