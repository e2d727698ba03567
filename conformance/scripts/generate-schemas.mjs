#!/usr/bin/env node
// Writes conformance/schema/*.json and vectors/vectors.schema.json from the arktype definitions (built
// dist/). --check: exit 1 if a committed file differs (test/schemas.test.ts checks the same from source).
import { readFileSync, writeFileSync } from 'node:fs';
import { schemaFiles } from '../dist/index.js';

const check = process.argv.includes('--check');
const stale = [];
// Compared as JSON, not text: biome formats vectors/vectors.schema.json (it is not under a schema/ folder).
const canonical = (v) =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
  );
for (const [path, schema] of Object.entries(schemaFiles())) {
  const url = new URL(`../${path}`, import.meta.url);
  let current;
  try {
    current = JSON.parse(readFileSync(url, 'utf8'));
  } catch {}
  if (canonical(current) !== canonical(schema)) {
    stale.push(path);
    if (!check) writeFileSync(url, `${JSON.stringify(schema, null, 2)}\n`);
  }
}
if (check && stale.length) {
  console.error(
    `stale JSON Schemas: ${stale.join(', ')}; run pnpm schemas in conformance and commit the result`,
  );
  process.exit(1);
}
console.log(check ? 'schemas are current' : `wrote ${stale.length} schema file(s)`);
