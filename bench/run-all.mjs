#!/usr/bin/env node
// `pnpm bench`: runs every bench/*.bench.mjs one after another (never two at once: this is a 2-core
// machine) and rewrites bench/RESULTS.md from the JSON each one leaves in bench/results/.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fmt } from './lib/stats.mjs';

const dir = new URL('./', import.meta.url);
// `--results-only`: run nothing, rewrite RESULTS.md from results/*.json (after editing a bench's notes).
const resultsOnly = process.argv.includes('--results-only');
const only = process.argv.slice(2).filter((a) => a !== '--results-only');
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => !resultsOnly && (only.length === 0 || only.some((o) => f.includes(o))))
  .sort();
for (const s of scripts) {
  console.log(`\n== ${s}`);
  execFileSync(process.execPath, [new URL(s, dir).pathname], { stdio: 'inherit' });
}

const results = readdirSync(new URL('./results/', dir))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(`./results/${f}`, dir), 'utf8')));
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  '# Benchmark results',
  '',
  'Rewritten by `pnpm bench` (bench/run-all.mjs). Each figure stands beside a baseline measured in the same run',
  'on the same machine; the ratio is figure ÷ baseline. Medians unless the metric says otherwise.',
  '',
  `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}.`,
  '',
];
for (const r of results) {
  lines.push(`## ${r.title}`, '', `Command: \`${r.command}\` — measured ${r.measuredAt}`, '');
  lines.push('| metric | value | baseline | ratio |', '|---|---|---|---|');
  for (const row of r.rows) {
    const base = row.baseline ? `${fmt(row.baseline)} ${row.unit} (${row.baselineLabel ?? 'baseline'})` : '—';
    lines.push(
      `| ${row.metric} | ${fmt(row.value)} ${row.unit} | ${base} | ${row.ratio ? row.ratio.toFixed(2) : '—'} |`,
    );
  }
  if (r.notes?.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
  lines.push('');
}
writeFileSync(new URL('./RESULTS.md', dir), lines.join('\n'));
console.log('\nwrote bench/RESULTS.md');
