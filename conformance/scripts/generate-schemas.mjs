#!/usr/bin/env node
// Writes conformance/schema/*.json and vectors/vectors.schema.json from the arktype definitions (built
// dist/). --check: exit 1 if a committed file differs (test/schemas.test.ts checks the same from source).
import { readFileSync, writeFileSync } from 'node:fs';
import { schemaFiles } from '../dist/index.js';

const check = process.argv.includes('--check');
const stale = [];
for (const [path, schema] of Object.entries(schemaFiles())) {
  const url = new URL(`../${path}`, import.meta.url);
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  let current = '';
  try {
    current = readFileSync(url, 'utf8');
  } catch {}
  if (current !== text) {
    stale.push(path);
    if (!check) writeFileSync(url, text);
  }
}
if (check && stale.length) {
  console.error(
    `stale JSON Schemas: ${stale.join(', ')}; run pnpm schemas in conformance and commit the result`,
  );
  process.exit(1);
}
console.log(check ? 'schemas are current' : `wrote ${stale.length} schema file(s)`);
