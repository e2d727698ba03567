#!/usr/bin/env node
// Writes packages/plugin-sdk/schema/*.json from the arktype definitions (the single source of truth).
// --check: exit 1 if any committed file differs, so CI catches a schema change without regenerated files.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { schemaCatalog, toJsonSchema } from '../dist/protocol/index.js';

const dir = new URL('../schema/', import.meta.url);
const check = process.argv.includes('--check');
mkdirSync(dir, { recursive: true });
const stale = [];
for (const [file, schema] of Object.entries(schemaCatalog)) {
  const text = `${JSON.stringify(toJsonSchema(schema, file), null, 2)}\n`;
  const url = new URL(file, dir);
  let current = '';
  try {
    current = readFileSync(url, 'utf8');
  } catch {}
  if (current !== text) {
    stale.push(file);
    if (!check) writeFileSync(url, text);
  }
}
const extra = readdirSync(dir).filter((f) => f.endsWith('.json') && !(f in schemaCatalog));
if (check && (stale.length || extra.length)) {
  console.error(
    `stale JSON Schemas: ${[...stale, ...extra].join(', ')}; run pnpm schemas and commit the result`,
  );
  process.exit(1);
}
console.log(check ? 'schemas are current' : `wrote ${stale.length} schema file(s)`);
