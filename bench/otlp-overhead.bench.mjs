#!/usr/bin/env node
// Issue 21: what tracing costs. Trace context is in every event (a traceparent and a tracestate made at
// emit, stored, signed and sent); OTLP export is optional. Each round runs, interleaved so both see the
// same load, the same workload with both daemons exporting every span and their metrics to a local
// OTLP/HTTP collector (exportInterval 1s) and without an endpoint (nothing of OpenTelemetry loaded):
//  1. sustained delivery throughput (bench/lib/federation-load.mjs) and each daemon's CPU per event;
//  2. observe on-prem → claim committed on the cloud p50/p99 (bench/lib/claim-round.mjs).
// And the trace context itself: making one (newTraceContext, childTraceContext) against the CPU an emit
// costs the daemon per event. Medians of BENCH_OTLP_RUNS (default 3) rounds.
import { cpus, loadavg } from 'node:os';
import { claimRound } from './lib/claim-round.mjs';
import { federationThroughput, THROUGHPUT_EVENTS } from './lib/federation-load.mjs';
import { startOtlpSink } from './lib/otlp-sink.mjs';
import { median, nowMs, writeResult } from './lib/stats.mjs';

const ROUNDS = Number(process.env.BENCH_OTLP_RUNS ?? 3);
const sdk = await import(new URL('../packages/plugin-sdk/dist/index.js', import.meta.url).href);

/** ns per call of making trace context, after a warm-up: one new trace, then one child of it. */
function traceContextNs() {
  const n = 200_000;
  let keep = 0;
  for (let i = 0; i < 20_000; i++) keep += sdk.childTraceContext(sdk.newTraceContext()).traceparent.length;
  const t = nowMs();
  for (let i = 0; i < n; i++) keep += sdk.childTraceContext(sdk.newTraceContext()).traceparent.length;
  const ns = ((nowMs() - t) * 1e6) / n;
  if (keep === 0) throw new Error('unreachable');
  return ns;
}

const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const sink = await startOtlpSink();
  const plain = await federationThroughput(`p${r}`);
  const exported = await federationThroughput(`o${r}`, { otlp: sink.url });
  const claimPlain = await claimRound();
  const claimExported = await claimRound({ otlp: sink.url });
  const { requests, bytes } = sink.seen;
  await sink.close();
  if (requests === 0) throw new Error('the daemons exported nothing to the collector');
  rounds.push({ plain, exported, claimPlain, claimExported, requests, bytes, traceNs: traceContextNs() });
  console.log(
    `round ${r + 1}: ${exported.rate.toFixed(0)} vs ${plain.rate.toFixed(0)} events/s; claim p99 ${claimExported.c.p99} vs ${claimPlain.c.p99} ms; ${requests} OTLP requests, ${(bytes / 1e6).toFixed(1)} MB`,
  );
}
const med = (f) => median(rounds.map(f));
writeResult('otlp-overhead', {
  title: 'Tracing: trace context in every event and the optional OTLP export (issue 21)',
  command: 'node bench/otlp-overhead.bench.mjs',
  rows: [
    {
      metric: `delivery throughput with OTLP export, ${THROUGHPUT_EVENTS} events (median of ${ROUNDS})`,
      value: med((r) => r.exported.rate),
      unit: 'events/s',
      baseline: med((r) => r.plain.rate),
      baselineLabel: 'the same without an OTLP endpoint',
    },
    {
      metric: 'CPU per event delivered, sender, with OTLP export',
      value: med((r) => r.exported.senderUs),
      unit: 'µs',
      baseline: med((r) => r.plain.senderUs),
      baselineLabel: 'without an OTLP endpoint',
    },
    {
      metric: 'CPU per event delivered, receiver, with OTLP export',
      value: med((r) => r.exported.receiverUs),
      unit: 'µs',
      baseline: med((r) => r.plain.receiverUs),
      baselineLabel: 'without an OTLP endpoint',
    },
    {
      metric: 'observe → claim committed on the cloud p50, with OTLP export',
      value: med((r) => r.claimExported.c.p50),
      unit: 'ms',
      baseline: med((r) => r.claimPlain.c.p50),
      baselineLabel: 'without an OTLP endpoint',
    },
    {
      metric: 'observe → claim committed on the cloud p99, with OTLP export',
      value: med((r) => r.claimExported.c.p99),
      unit: 'ms',
      baseline: med((r) => r.claimPlain.c.p99),
      baselineLabel: 'without an OTLP endpoint',
    },
    {
      metric: 'making trace context for one event (a new trace and a child of it)',
      value: med((r) => r.traceNs) / 1000,
      unit: 'µs',
      baseline: med((r) => r.plain.senderUs),
      baselineLabel: "the sender's CPU per event delivered, without export (what one event costs it in all)",
    },
  ],
  notes: [
    `OTLP requests per round (both daemons, spans and metrics): ${rounds.map((r) => r.requests).join(', ')}; bytes: ${rounds.map((r) => (r.bytes / 1e6).toFixed(1)).join(', ')} MB.`,
    'Trace context is always on (it is part of the event), so its cost is measured as the work of making it, beside what an event costs the sender in all; storing its two columns and the trace id index is inside both throughput figures.',
    `Load average when the run ended: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} on ${cpus().length} cores.`,
  ],
});
