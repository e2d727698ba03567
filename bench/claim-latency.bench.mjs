#!/usr/bin/env node
// Issue 6: observe on-prem → RemoteAddressClaim visible on the cloud, through two real daemons and a
// real long-lived plugin process, debounce 0. Baseline in the same run: the same events' emit →
// committed-on-peer time (federation alone), so the ratio is what the subscription + plugin adds. Medians of
// BENCH_CLAIM_RUNS (default 3) rounds, each with fresh daemons (bench/lib/claim-round.mjs).
import { cpus, loadavg } from 'node:os';
import { claimRound, CLAIM_INTERVAL_MS as INTERVAL_MS } from './lib/claim-round.mjs';
import { median, writeResult } from './lib/stats.mjs';

const ROUNDS = Number(process.env.BENCH_CLAIM_RUNS ?? 3);

const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  rounds.push(await claimRound());
  const { c, f } = rounds.at(-1);
  console.log(
    `round ${r + 1}: claim p50 ${c.p50.toFixed(2)} p99 ${c.p99.toFixed(2)} ms; federation alone p50 ${f.p50.toFixed(2)} p99 ${f.p99.toFixed(2)} ms`,
  );
}
const med = (fn) => median(rounds.map(fn));
const list = (fn) => rounds.map((r) => fn(r).toFixed(2)).join(', ');
writeResult('claim-latency', {
  title: 'Observe on-prem → claim visible on the cloud (issue 6)',
  command: 'node bench/claim-latency.bench.mjs',
  rows: [
    {
      metric: `observe → claim part committed on the cloud, p50 (n=${med((r) => r.c.n)} per round, one event every ${INTERVAL_MS} ms, median of ${ROUNDS})`,
      value: med((r) => r.c.p50),
      unit: 'ms',
      baseline: med((r) => r.f.p50),
      baselineLabel: 'same events: emit → committed on the cloud (federation alone)',
    },
    {
      metric: 'observe → claim part committed on the cloud, p99',
      value: med((r) => r.c.p99),
      unit: 'ms',
      baseline: med((r) => r.f.p99),
      baselineLabel: 'federation alone, p99',
    },
  ],
  notes: [
    'Real daemons on loopback (WAL, synchronous=FULL), a real long-lived plugin process (tests/e2e/test/fixtures/claims-plugin.mjs, SDK) producing a RemoteAddressClaim and a dry-run assign plan; subscription batchWindow 0s, debounce 0s.',
    'Times are read from the cloud store afterwards (events.stored_at_ms, dynamic_parts.updated_ms) against the emit time taken just before each control-API call, so no polling adds to them. Since 2026-12-03 the emit time keeps its fraction of a ms and the stored whole-ms stamp gets the 0.5 ms it lost on average back (bench/lib/stats.mjs untilStamped): before, both times were whole ms and the figures moved in steps of 1 ms.',
    'The reference Go implementation polls subscriptions every 5 s, so its observe → claim latency is bounded below by its tick.',
    "Where the claim's extra time goes on the cloud (one instrumented run, 2026-12-02, p50 ms; the part's time is stamped as its result is applied): the received batch's insert and fsync 0.9 (stored_at_ms is stamped before the fsync, so the baseline does not see it), the receiver's answer to on-prem 0.5 (the run starts once that turn ends), reading the batch and building the request 0.3, the plugin round trip through its supervisor 1.1, recording the plugin run 0.3.",
    'The plugin round trip is 1.1 ms here against 0.36 ms back to back, because the plugin has slept 50 ms since its last event: the same echo child that answers in 0.04 ms back to back takes 0.50 ms after 50 ms idle (waking a sleeping process on this 2-vCPU VM), and the plugin pays it with colder caches for more code. The p99 ratio is set mostly by these wake-ups of a third process, which federation alone does not have.',
    'Since 2026-12-02 a quick run is not marked running before its answer (one commit fewer per run, ~70 µs of CPU); no change of these figures was visible within this machine’s run-to-run spread.',
    'Since 2026-12-03 the cloud answers a delivered batch once the subscription run its commit started has written its plugin request (packages/host/src/federation/receiver.ts; before, the answer was written first, and the on-prem daemon it woke competed with the plugin for the 2 vCPUs). A/B, interleaved, the builds just before and after (1 round each, 3 pairs): claim p99 17, 17, 16 → 14, 15, 15 ms, p50 9, 10, 9 → 9, 9, 8 ms, with federation alone p99 10–11 ms in both; the ratio of one run moves with the load of the hour (see per round).',
    `Per round, claim / federation alone (ms): p50 ${list((r) => r.c.p50)} / ${list((r) => r.f.p50)}; p99 ${list((r) => r.c.p99)} / ${list((r) => r.f.p99)}.`,
    `Load average when the run ended: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} on ${cpus().length} cores.`,
  ],
});
