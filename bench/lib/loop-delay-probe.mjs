// Preloaded into a daemon by a bench (`node --import <this file> routerd-eventd.js …`): measures the
// daemon's own event loop, at no cost to the daemon's code. On SIGUSR2 it writes what it saw since the
// previous SIGUSR2 to $ROUTERD_BENCH_PROBE_FILE and starts again.
//
// - perf_hooks.monitorEventLoopDelay: a sample is the time between two ticks of a RESOLUTION_MS timer;
//   an idle loop records about RESOLUTION_MS, a loop held for B ms about RESOLUTION_MS + B, so the
//   figures written are the samples minus RESOLUTION_MS (p99Ms, maxMs). On a shared machine this
//   includes time the thread was runnable but waiting for a CPU.
// - The main thread's own CPU time between two ticks of a second RESOLUTION_MS timer, from
//   /proc/self/task/<pid>/schedstat (nanoseconds on a CPU): the work the loop did while held, whatever
//   the other processes on the machine (cpuP99Ms, cpuMaxMs).
import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 5;
const file = process.env.ROUTERD_BENCH_PROBE_FILE;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();
const held = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);

const schedstat = `/proc/self/task/${process.pid}/schedstat`;
const onCpuNs = () => Number(readFileSync(schedstat, 'utf8').split(' ')[0]);
let cpuSamples = [];
let lastCpu = onCpuNs();
setInterval(() => {
  const now = onCpuNs();
  cpuSamples.push((now - lastCpu) / 1e6);
  lastCpu = now;
}, RESOLUTION_MS).unref();

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

let seq = 0;
process.on('SIGUSR2', () => {
  if (!file) return;
  const cpu = cpuSamples.sort((a, b) => a - b);
  writeFileSync(
    file,
    JSON.stringify({
      seq: ++seq,
      samples: histogram.count,
      p99Ms: held(histogram.percentile(99)),
      maxMs: held(histogram.max),
      cpuP99Ms: percentile(cpu, 99),
      cpuMaxMs: cpu.at(-1) ?? 0,
      rssBytes: process.memoryUsage().rss,
    }),
  );
  histogram.reset();
  cpuSamples = [];
});
