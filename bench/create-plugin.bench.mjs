#!/usr/bin/env node
// `npm create @routerd/plugin` to the first passing conformance run (issue 14), as a plugin author gets
// it: the create package, the SDK and the conformance suite packed with pnpm, the create bin run from
// its tarball by plain npm in an empty directory (its npm install included), `npm run build`, `npm run
// conformance`. Beside it, in the same run: a plain `npm install` of the same package.json into an
// empty directory, the part of the figure no scaffolder can save. One warm-up run fills the npm cache
// first, so every measured run installs from the cache, as a second project would.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmCreate, ok, packTarballs } from '../packages/create-plugin/test/lib/packed.mjs';
import { median, nowMs, writeResult } from './lib/stats.mjs';

const RUNS = 3;
const tmp = mkdtempSync(join(tmpdir(), 'routerd-bench-create-'));
const tarballs = join(tmp, 'tarballs');
mkdirSync(tarballs);

const timed = (f) => {
  const t0 = nowMs();
  const out = f();
  return [nowMs() - t0, out];
};

/** One author's path in a fresh directory: the time of each step. */
function createToConformance(i) {
  const work = join(tmp, `create-${i}`);
  mkdirSync(work);
  const project = join(work, 'my-plugin');
  const [create, created] = timed(() => npmCreate(tarballs, work, ['my-plugin']));
  if (created.status !== 0) throw new Error(`create failed:\n${created.output}`);
  const [build] = timed(() => ok('npm', ['run', 'build'], project));
  const [conformance] = timed(() => ok('npm', ['run', 'conformance'], project));
  return { create, build, conformance, total: create + build + conformance, project };
}

/** The baseline: npm install of the same package.json, nothing else. */
function installOnly(i, manifest) {
  const dir = join(tmp, `install-${i}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), manifest);
  const [install] = timed(() => ok('npm', ['install'], dir));
  return install;
}

const runs = [];
const installs = [];
try {
  packTarballs(tarballs);
  const warm = createToConformance('warm-up');
  const manifest = readFileSync(join(warm.project, 'package.json'), 'utf8');
  for (let i = 0; i < RUNS; i++) {
    runs.push(createToConformance(i));
    installs.push(installOnly(i, manifest));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const s = (ms) => ms / 1000;
const install = s(median(installs));
const of = (key) => s(median(runs.map((r) => r[key])));
writeResult('packaging-create-plugin', {
  title: 'Packaging: `npm create @routerd/plugin` to a passing conformance run (issue 14)',
  command: 'node bench/create-plugin.bench.mjs',
  rows: [
    {
      metric: 'npm create (packed tarball) → first passing npm run conformance',
      value: of('total'),
      unit: 's',
      baseline: install,
      baselineLabel: 'npm install of the same package.json alone',
    },
    {
      metric: 'of which npm create: scaffold + npm install',
      value: of('create'),
      unit: 's',
      baseline: install,
      baselineLabel: 'npm install alone',
    },
    { metric: 'of which npm run build (tsup: bundle, types, config schema)', value: of('build'), unit: 's' },
    { metric: 'of which npm run conformance (routerd-plugin test)', value: of('conformance'), unit: 's' },
  ],
  notes: [
    `Medians of ${RUNS} runs, each in a new empty directory after one warm-up run, so npm installs from its cache (registry metadata still fetched); the install baseline runs between them, in the same conditions.`,
    'The proposer template; the @routerd packages come from tarballs packed with pnpm (`--routerd-tarballs`), everything else from the npm registry.',
    `Load average at the end of the run: ${loadavg()[0].toFixed(1)} (a 2-core machine shared with other builds): the build and conformance steps are CPU-bound and grow with it.`,
  ],
});
