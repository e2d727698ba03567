#!/usr/bin/env node
// CPU and memory of the ARP observer plugin (issue 8) with a 5,000-entry neighbour table. The plugin runs
// as a real child through the host-side PluginProcess; `ip` is a fake that prints a recorded-format
// `ip -j -s -4 neigh show` dump, so the figures are the observer's own work, not the kernel's. Baselines,
// measured in the same run: a bare JSON.parse of the same dump, an idle Node process, an empty table.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTestHost } from '../packages/plugin-sdk/dist/testing/index.js';
import { median, nowMs, writeResult } from './lib/stats.mjs';

const ENTRIES = 5000;
const SNAPSHOTS = 20;
const RESYNC_MS = 1000;
const plugin = fileURLToPath(new URL('../packages/plugins-arp-observer/dist/main.js', import.meta.url));
if (!existsSync(plugin))
  throw new Error('build the plugin first: cd packages/plugins-arp-observer && npx tsup');
// The same plugin served by a bin without the process tuning: the same-run baseline of what it changes.
const untuned = fileURLToPath(new URL('./fixtures/arp-observer-untuned.mjs', import.meta.url));
const RUNS = Number(process.env.BENCH_ARP_RUNS ?? 3);

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const cpuMs = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime + stime
};
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A realistic mix: mostly STALE (idle clients), some REACHABLE/DELAY, a few FAILED with no lladdr. */
function neighbourDump(n) {
  const states = ['STALE', 'STALE', 'STALE', 'REACHABLE', 'REACHABLE', 'DELAY', 'PROBE', 'FAILED'];
  const rows = [];
  for (let i = 0; i < n; i++) {
    const state = states[i % states.length];
    const mac = `52:54:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    const row = { dst: `10.88.${Math.floor(i / 250) + 1}.${(i % 250) + 2}`, dev: 'br0' };
    if (state !== 'FAILED') row.lladdr = mac;
    Object.assign(row, {
      refcnt: 1,
      used: i % 60,
      confirmed: i % 90,
      updated: i % 30,
      probes: 0,
      state: [state],
    });
    rows.push(row);
  }
  return JSON.stringify(rows);
}

function fakeIp(dir, dumpFile) {
  const script = join(dir, 'ip');
  writeFileSync(
    script,
    `#!/bin/sh
case "$*" in
  *monitor*) exec sleep 3600 ;;
  *neigh*) echo >> "${dir}/snapshots"; exec cat "${dumpFile}" ;;
  *addr*) echo '[{"ifname":"br0","address":"52:54:00:ff:ff:ff","addr_info":[{"family":"inet","local":"10.88.0.1"}]}]' ;;
esac
`,
    { mode: 0o755 },
  );
  return script;
}

const snapshotsTaken = (dir) => {
  try {
    return readFileSync(join(dir, 'snapshots'), 'utf8').length;
  } catch {
    return 0;
  }
};

const parseSamples = [];

async function runObserver(executable, dumpText, expectObserved, baselineText) {
  const dir = mkdtempSync(join(tmpdir(), 'arp-bench-'));
  const dumpFile = join(dir, 'neigh.json');
  writeFileSync(dumpFile, dumpText);
  let observed = 0;
  const t0 = nowMs();
  let allPublishedAt;
  const host = await spawnTestHost(
    { executable },
    {
      granted: ['observe.events'],
      config: {
        domains: [{ name: 'lan', cidrs: ['10.88.0.0/16'], interfaces: ['br0'] }],
        ipCommand: [fakeIp(dir, dumpFile)],
        ttl: '300s',
        resyncEvery: `${RESYNC_MS}ms`,
      },
      onPublish: ({ events }) => {
        observed += events.length;
        if (observed >= expectObserved && allPublishedAt === undefined) allPublishedAt = nowMs();
        return { accepted: events.map((e) => e.id), duplicates: [], rejected: [] };
      },
    },
  );
  const pid = host.process.pid;
  while (!host.process.stderrTail.toString().includes('"msg":"armed"')) await sleep(10);
  const armedAt = nowMs();
  while (observed < expectObserved) await sleep(10);
  // Steady state: let start-up garbage settle, then count snapshots and CPU over a fixed number of resyncs.
  await sleep(2 * RESYNC_MS);
  const snaps0 = snapshotsTaken(dir);
  const cpu0 = cpuMs(pid);
  const rssBefore = rssMiB(pid);
  while (snapshotsTaken(dir) < snaps0 + SNAPSHOTS) {
    // The baseline is sampled inside the same window, so both see the same machine load.
    if (baselineText) {
      const t = nowMs();
      JSON.parse(baselineText);
      parseSamples.push(nowMs() - t);
    }
    await sleep(50);
  }
  const cpu1 = cpuMs(pid);
  const snaps1 = snapshotsTaken(dir);
  const rss = rssMiB(pid);
  await host.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    cpuPerSnapshotMs: (cpu1 - cpu0) / (snaps1 - snaps0),
    rss,
    rssBefore,
    armMs: armedAt - t0,
    allPublishedMs: (allPublishedAt ?? armedAt) - t0,
    observed,
  };
}

async function idleNodeRss() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(1000);
  const rss = rssMiB(child.pid);
  child.kill();
  return rss;
}

const dump = neighbourDump(ENTRIES);
// 5,000 entries with 1 in 8 FAILED: these are the present clients the first snapshot publishes.
const presentCount = JSON.parse(dump).filter((r) => r.state[0] !== 'FAILED').length;

// Rounds of four runs (shipped and untuned bins, empty and full tables), interleaved so that each pair
// sees the same machine load; every figure is the median of its RUNS values.
const rounds = [];
for (let r = 0; r < RUNS; r++) {
  const idleRss = await idleNodeRss();
  const empty = await runObserver(plugin, '[]', 0);
  const full = await runObserver(plugin, dump, presentCount, dump);
  const emptyUntuned = await runObserver(untuned, '[]', 0);
  const fullUntuned = await runObserver(untuned, dump, presentCount, dump);
  for (const run of [full, fullUntuned])
    if (run.observed !== presentCount)
      throw new Error(`expected ${presentCount} observations, got ${run.observed}`);
  rounds.push({ idleRss, empty, full, emptyUntuned, fullUntuned });
  console.log(
    `round ${r + 1}: RSS full ${full.rss.toFixed(1)} / untuned ${fullUntuned.rss.toFixed(1)} MiB, empty ${empty.rss.toFixed(1)} / ${emptyUntuned.rss.toFixed(1)} MiB; CPU per resync ${full.cpuPerSnapshotMs.toFixed(1)} / ${fullUntuned.cpuPerSnapshotMs.toFixed(1)} ms`,
  );
}
const med = (f) => median(rounds.map(f));
const list = (f, digits = 1) => rounds.map((r) => f(r).toFixed(digits)).join(', ');
const idleRss = med((r) => r.idleRss);
const parseMs = median(parseSamples);

writeResult('arp-observer', {
  title: 'ARP observer: CPU and memory with a 5,000-entry neighbour table (issues 8, 18)',
  command: 'node bench/arp-observer.bench.mjs',
  rows: [
    {
      metric: `observer CPU per full resync, ${ENTRIES} entries (mean of ${SNAPSHOTS}, resync every ${RESYNC_MS / 1000} s; median of ${RUNS} runs)`,
      value: med((r) => r.full.cpuPerSnapshotMs),
      unit: 'ms',
      baseline: parseMs,
      baselineLabel: 'bare JSON.parse of the same dump, bench process',
    },
    {
      metric: 'observer CPU per full resync, empty table',
      value: med((r) => r.empty.cpuPerSnapshotMs),
      unit: 'ms',
      baseline: parseMs,
      baselineLabel: 'bare JSON.parse of the 5,000-entry dump',
    },
    {
      metric: `observer RSS, steady state, ${ENTRIES} entries tracked`,
      value: med((r) => r.full.rss),
      unit: 'MiB',
      baseline: idleRss,
      baselineLabel: 'idle Node process',
    },
    {
      metric: 'observer RSS, steady state, empty table',
      value: med((r) => r.empty.rss),
      unit: 'MiB',
      baseline: idleRss,
      baselineLabel: 'idle Node process',
    },
    {
      metric: `observer RSS, steady state, ${ENTRIES} entries, as shipped vs served without the bin's process tuning`,
      value: med((r) => r.full.rss),
      unit: 'MiB',
      baseline: med((r) => r.fullUntuned.rss),
      baselineLabel: 'the same plugin, untuned bin (bench/fixtures/arp-observer-untuned.mjs)',
    },
    {
      metric: 'observer RSS, steady state, empty table, as shipped vs untuned',
      value: med((r) => r.empty.rss),
      unit: 'MiB',
      baseline: med((r) => r.emptyUntuned.rss),
      baselineLabel: 'the same plugin, untuned bin',
    },
    {
      metric: `observer CPU per full resync, ${ENTRIES} entries, as shipped vs untuned`,
      value: med((r) => r.full.cpuPerSnapshotMs),
      unit: 'ms',
      baseline: med((r) => r.fullUntuned.cpuPerSnapshotMs),
      baselineLabel: 'the same plugin, untuned bin',
    },
  ],
  notes: [
    `The dump (${(dump.length / 1024).toFixed(0)} KiB) is printed by a fake \`ip\` shell script, so the CPU is the plugin process's own (utime+stime from /proc/<pid>/stat, ${CLK_TCK} Hz ticks): spawning the child, reading its output, JSON.parse, per-entry schema check, filters, tracker update, plus the once-a-second presence tick over every tracked address.`,
    'The mix is 3/8 STALE, 2/8 REACHABLE, 1/8 each DELAY, PROBE, FAILED; STALE rows carry a `confirmed` age under absentAfter, so every non-FAILED row is a present client and the first snapshot publishes them (in batches of 500 per events/publish).',
    "The plugin's bin (packages/plugins-arp-observer/src/main.ts, since 2026-12-03) sets its process up as routerd-eventd's does, with the SDK's `@routerd/plugin-sdk/process`: the young generation stays at its start size, arktype loads without Node's fetch implementation, TurboFan waits until start-up is over, and one full collection runs once the observer is armed and its first observations are answered (`settleHeap`), after which the old generation grows 25 % over what is live. The untuned bin serves the same plugin without any of it: it is what the observer was before.",
    "Since 2026-12-04 each row of a snapshot is checked with a compiled schema even though the bin runs arktype interpreted (interpreted, a row's check allocated ~0.9 KB: a third of a 5,000-row snapshot's garbage, found with V8's sampling heap profiler counting collected objects), and its address is read once for all the filter's ranges, without a regular expression or a split (the SDK's ipv4Number). A/B, interleaved, the builds at the start of the day and after (3 pairs, shipped bin, 5000 entries): CPU per full resync 85.5, 79.5, 71.0 → 72.5, 61.5, 64.5 ms. What is left, profiled: garbage collection ~45 % of the busy time (7-10 scavenges per snapshot: the young generation stays at its start size, see below), the two `ip` spawns per resync (`addr show` for the router's own identity, then `neigh show`) ~18 %, the parse ~11 %.",
    `Per round, shipped / untuned: RSS with ${ENTRIES} entries ${list((r) => r.full.rss)} / ${list((r) => r.fullUntuned.rss)} MiB; empty table ${list((r) => r.empty.rss)} / ${list((r) => r.emptyUntuned.rss)} MiB; CPU per full resync ${list((r) => r.full.cpuPerSnapshotMs)} / ${list((r) => r.fullUntuned.cpuPerSnapshotMs)} ms, empty ${list((r) => r.empty.cpuPerSnapshotMs)} / ${list((r) => r.emptyUntuned.cpuPerSnapshotMs)} ms; idle Node ${list((r) => r.idleRss)} MiB.`,
    `RSS at the start of the measured window and after ${SNAPSHOTS} more full resyncs, shipped bin, per round: ${list((r) => r.full.rssBefore)} → ${list((r) => r.full.rss)} MiB (empty table: ${list((r) => r.empty.rssBefore)} → ${list((r) => r.empty.rss)} MiB): the difference from the empty table is V8 heap held for the tracked addresses and the last dump, not growth per resync.`,
    `Start-up with the 5,000-entry table (spawn → all ${presentCount} observed events answered by the host), median: ${med((r) => r.full.allPublishedMs).toFixed(0)} ms shipped, ${med((r) => r.fullUntuned.allPublishedMs).toFixed(0)} ms untuned, against ${med((r) => r.empty.armMs).toFixed(0)} ms to arm with an empty table; all dominated by Node and arktype start-up (see plugin-rpc) and varying by a few hundred ms between runs on this shared machine.`,
    'The JSON.parse baseline is sampled in the bench process during the measured windows of the full-table runs, so both figures see the same machine load (other work shares the 2 cores).',
    'At the default resyncEvery (30 s) the resync cost above is paid once per 30 s; ttl 300 s means no refreshes fall inside the measurement.',
  ],
});
