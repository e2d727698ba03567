#!/usr/bin/env node
// A plugin author's npm path (issue 14): every package packed with pnpm, then, in a new empty directory
// per run, the SDK README's install lines with plain npm (our packages from the tarballs) up to the first
// passing `npx routerd-plugin test ./plugin.mjs`; and the install size of the runner, @routerd/conformance
// with what it pulls in. Medians of 3, each beside a baseline measured in the same run.
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyProject, npmInstall } from '../tests/packaging/lib/consumer.mjs';
import { packAll } from '../tests/packaging/lib/pack.mjs';
import { followSdkQuickstart, runQuickstartRunner } from '../tests/packaging/lib/sdk-readme.mjs';
import { median, nowMs, writeResult } from './lib/stats.mjs';

const RUNS = 3;
const work = mkdtempSync(join(tmpdir(), 'routerd-bench-npm-'));
const MiB = 2 ** 20;

/** Bytes of every file under dir (apparent sizes, symlinks not followed), as `du -sb` counts them. */
function bytesUnder(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(path) : lstatSync(path).size;
  }
  return total;
}

async function timed(fn) {
  const t0 = nowMs();
  await fn();
  return nowMs() - t0;
}

try {
  const tarballs = await packAll(join(work, 'packs'));
  // One unmeasured pass fills npm's cache, so each run measures a project on a machine that has installed
  // these dependencies before (the registry's latency is not ours to measure).
  await followSdkQuickstart(join(work, 'warm'), tarballs);

  const firstPass = [];
  const floor = [];
  const runner = [];
  const arktypeAlone = [];
  const cliRoute = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = join(work, `sdk-${i}`);
    firstPass.push(
      await timed(async () => {
        const quickstart = await followSdkQuickstart(dir, tarballs);
        await runQuickstartRunner(dir, quickstart.runner);
      }),
    );
    const bare = emptyProject(join(work, `arktype-${i}`));
    floor.push(await timed(() => npmInstall(bare, ['arktype'], tarballs)));
    arktypeAlone.push(bytesUnder(join(bare, 'node_modules')));

    const runnerOnly = emptyProject(join(work, `runner-${i}`));
    // The SDK's tarball too: from the registry npm would fetch it as the runner's dependency.
    await npmInstall(runnerOnly, ['-D', '@routerd/conformance', '@routerd/plugin-sdk'], tarballs);
    runner.push(bytesUnder(join(runnerOnly, 'node_modules')));

    // Where the runner came from before: @routerd/cli, which brings @routerd/host and better-sqlite3.
    // --ignore-scripts leaves the native compile out, so this is a lower bound of that route.
    const cli = emptyProject(join(work, `cli-${i}`));
    await npmInstall(
      cli,
      ['--ignore-scripts', '@routerd/cli', '@routerd/host', '@routerd/conformance', '@routerd/plugin-sdk'],
      tarballs,
    );
    cliRoute.push(bytesUnder(join(cli, 'node_modules')));
  }

  writeResult('npm-path', {
    title: 'npm path: the SDK README from tarballs to a passing plugin, and the runner install (issue 14)',
    command: 'node bench/npm-path.bench.mjs',
    rows: [
      {
        metric: 'npm i (README lines, tarballs) → first passing `npx routerd-plugin test ./plugin.mjs`',
        value: median(firstPass) / 1000,
        unit: 's',
        baseline: median(floor) / 1000,
        baselineLabel: '`npm i arktype` in an empty directory',
      },
      {
        metric: 'install size of the runner: `npm i -D @routerd/conformance` (node_modules)',
        value: median(runner) / MiB,
        unit: 'MiB',
        baseline: median(arktypeAlone) / MiB,
        baselineLabel: 'arktype alone, the SDK peer every plugin author installs',
      },
      {
        metric:
          'the route before: @routerd/cli (+ host, conformance, SDK), native build not run (lower bound)',
        value: median(cliRoute) / MiB,
        unit: 'MiB',
        baseline: median(runner) / MiB,
        baselineLabel: 'the runner from @routerd/conformance',
      },
    ],
    notes: [
      `Each run is a new empty directory; npm's cache was filled by one unmeasured pass first. Samples (s): ${firstPass.map((t) => (t / 1000).toFixed(1)).join(', ')}.`,
      'The first figure includes the conformance suite itself (spawning the plugin for each check), which is most of it.',
      "The cli route's size leaves out better-sqlite3's compile output (the compile itself takes 75 s to minutes on this machine, and fails without a toolchain).",
    ],
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
