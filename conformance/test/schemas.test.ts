import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { schemaFiles } from '../src/schemas.js';
import { BUILTIN_VECTORS_DIR, loadVectors } from '../src/vectors.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const committed = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? jsonFiles(p) : e.endsWith('.json') ? [p] : [];
  });
}

describe('published JSON Schemas', () => {
  it('are generated from the arktype definitions (run `pnpm schemas` in conformance when this fails)', () => {
    for (const [path, schema] of Object.entries(schemaFiles())) expect(committed(path), path).toEqual(schema);
  });
});

describe('golden vectors', () => {
  const validateVector = ajv.compile(committed('vectors/vectors.schema.json'));
  const files = jsonFiles(BUILTIN_VECTORS_DIR);

  it('every vector file validates against vectors/vectors.schema.json', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const file of files) {
      const ok = validateVector(JSON.parse(readFileSync(file, 'utf8')));
      expect(ok, `${file}: ${ajv.errorsText(validateVector.errors)}`).toBe(true);
    }
  });

  it('the loader reads them all, named <capability>/<name>', () => {
    const names = loadVectors(BUILTIN_VECTORS_DIR).map((v) => v.name);
    expect(names).toContain('propose.dynamicConfig/observed-address');
    expect(names).toHaveLength(files.length);
  });

  it('the schema and the loader refuse a vector that mixes expectations or names an unknown capability', () => {
    const bad = [
      {
        description: 'x',
        capability: 'propose.dynamicConfig',
        request: {},
        expect: { resultSchema: true, errorCode: -32602 },
      },
      { description: 'x', capability: 'execute.providerAction', request: {}, expect: { resultSchema: true } },
      {
        description: 'x',
        capability: 'propose.dynamicConfig',
        request: {},
        expect: { diagnostic: { severity: 'fatal' } },
      },
    ];
    for (const v of bad) expect(validateVector(v), JSON.stringify(v)).toBe(false);
  });
});
