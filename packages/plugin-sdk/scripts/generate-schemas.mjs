#!/usr/bin/env node
// Writes packages/plugin-sdk/schema/*.json and src/protocol/gates/compiled.{js,d.ts} from the arktype definitions
// (the single source of truth), read from dist: build first, and build again after a change here.
// --check: exit 1 if any committed file differs, so CI catches a schema change without regenerated files.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { schemaCatalog, toJsonSchema } from '../dist/protocol/index.js';
import { compileGates } from './compile-gates.mjs';

const dir = new URL('../schema/', import.meta.url);
const check = process.argv.includes('--check');
mkdirSync(dir, { recursive: true });
const stale = [];

function write(url, text, label) {
  let current = '';
  try {
    current = readFileSync(url, 'utf8');
  } catch {}
  if (current !== text) {
    stale.push(label);
    if (!check) writeFileSync(url, text);
  }
}

for (const [file, schema] of Object.entries(schemaCatalog)) {
  write(new URL(file, dir), `${JSON.stringify(toJsonSchema(schema, file), null, 2)}\n`, file);
}
const gates = compileGates();
write(
  new URL('../src/protocol/gates/compiled.js', import.meta.url),
  gates.js,
  'src/protocol/gates/compiled.js',
);
write(
  new URL('../src/protocol/gates/compiled.d.ts', import.meta.url),
  gates.dts,
  'src/protocol/gates/compiled.d.ts',
);

const extra = readdirSync(dir).filter((f) => f.endsWith('.json') && !(f in schemaCatalog));
if (check && (stale.length || extra.length)) {
  console.error(
    `stale generated files: ${[...stale, ...extra].join(', ')}; run pnpm schemas (after a build), build again and commit the result`,
  );
  process.exit(1);
}
console.log(check ? 'schemas and gates are current' : `wrote ${stale.length} file(s)`);
