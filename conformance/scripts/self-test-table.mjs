#!/usr/bin/env node
// Prints the self-test table of conformance/README.md from a real run: every plugin in fixtures/ and the
// no-SDK Python example through the built suite (dist/), the defect from each fixture's header comment,
// and what actually failed or warned. Paste its output over the table when a check or fixture changes.
//
//   node scripts/self-test-table.mjs            (about two minutes on a 2-core machine)
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CATALOGUE, runConformance } from '../dist/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const PYTHON = fileURLToPath(
  new URL('../../packages/plugin-sdk/examples/no-sdk-python/plugin.py', import.meta.url),
);
// The self-test's own allowances (test/self-test.ts): a loaded machine must not turn slowness into defects.
const timeouts = { handshakeMs: 5000, initializeFastMs: 5000 };

/**
 * From a fixture's header comment, without requirement ids: the first sentence after "Defect:", or all
 * of what follows "Defects:" (a list); for a correct fixture, "none" and what the comment says it is.
 */
function defect(file) {
  const header = [];
  for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
    if (!line.startsWith('//')) break;
    header.push(line.slice(2).trim());
  }
  const text = header.join(' ').replace(/ \(R-[A-Z0-9, -]+\)/g, '');
  const m = /^Defect: (.*?)\.(?: |$)/.exec(text) ?? /^Defects: (.*?)\.?$/.exec(text);
  if (m) return m[1];
  const what = /^(.*?)[:.]/.exec(text)?.[1];
  return what ? `none — ${what[0].toLowerCase()}${what.slice(1)}` : 'none';
}

function fails(report) {
  const bad = report.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  if (bad.length === 0) return 'nothing';
  const name = (c) => `\`${c.id}\`${c.status === 'warn' ? ' (warns)' : ''}`;
  if (bad.length > CATALOGUE.length / 2) {
    const rest = report.checks.filter((c) => !bad.includes(c));
    return `every check but ${rest.map(name).join(', ')} (${bad.filter((c) => c.notTestable).length} of the ${bad.length} as not testable)`;
  }
  return bad.map(name).join(', ');
}

const plugins = [
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.mjs'))
    .sort((a, b) =>
      a.includes('reference') === b.includes('reference')
        ? a.localeCompare(b)
        : a.includes('reference')
          ? -1
          : 1,
    )
    .map((f) => ({ name: `\`${f}\``, file: `${FIXTURES}${f}` })),
  { name: 'no-SDK Python example', file: PYTHON, defect: 'none (written from docs/protocol.md, no SDK)' },
];
console.log('| fixture | defect | fails |\n|---|---|---|');
for (const p of plugins) {
  const report = await runConformance({ executable: p.file, timeouts, concurrency: 2 });
  console.log(`| ${p.name} | ${p.defect ?? defect(p.file)} | ${fails(report)} |`);
}
