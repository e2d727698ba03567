#!/usr/bin/env node
// routerctl cold start: a fresh node process per run, as an operator or a script would invoke it,
// beside `node -e 0` (the floor any Node CLI pays) measured in the same run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startQuietDaemon } from './lib/daemons.mjs';
import { median, nowMs, writeResult } from './lib/stats.mjs';

const RUNS = 20;
const routerctl = new URL('../packages/cli/dist/routerctl.js', import.meta.url).pathname;

function timeRuns(args) {
  execFileSync(process.execPath, args, { stdio: 'ignore' }); // warm the file cache
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = nowMs();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    samples.push(nowMs() - t0);
  }
  return median(samples);
}

const dir = mkdtempSync(join(tmpdir(), 'routerd-bench-'));
const config = join(dir, 'federation.yaml');
writeFileSync(
  config,
  'apiVersion: federation.routerd.net/v1alpha1\nkind: EventGroup\nmetadata: {name: lab}\nspec: {nodeName: onprem-1}\n',
);
const stateDir = join(dir, 'state');
const daemon = await startQuietDaemon(config, stateDir);
const socket = join(stateDir, 'routerd.sock');
// A few events so list has something to render.
for (let i = 0; i < 20; i++) {
  execFileSync(
    process.execPath,
    [
      routerctl,
      '--socket',
      socket,
      'federation',
      'event',
      'emit',
      '--type',
      'acme.thing.seen',
      '--payload',
      `n=${i}`,
    ],
    { stdio: 'ignore' },
  );
}

const baseline = timeRuns(['-e', '0']);
const help = timeRuns([routerctl, '--help']);
const list = timeRuns([routerctl, '--socket', socket, 'federation', 'event', 'list']);
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
rmSync(dir, { recursive: true, force: true });

writeResult('routerctl-start', {
  title: 'routerctl cold start',
  command: 'node bench/routerctl-start.bench.mjs',
  rows: [
    { metric: 'routerctl --help', value: help, unit: 'ms', baseline, baselineLabel: 'node -e 0' },
    {
      metric: 'routerctl federation event list (20 events, running daemon)',
      value: list,
      unit: 'ms',
      baseline,
      baselineLabel: 'node -e 0',
    },
  ],
  notes: [`Median of ${RUNS} runs each, a new process per run, after one warm-up run.`],
});
