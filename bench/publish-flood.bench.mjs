#!/usr/bin/env node
// An observer that floods events/publish (issue 18's "hostile or buggy plugin" side of the loop): 20,000
// one-event calls sent without waiting for answers, against the same events published as R-P3 asks
// (calls of 500, each after the last one's answer), in the same round. Figures: how long until the
// observer has every answer (each answer follows its commit), and how long the control API waits
// meanwhile (GET /v1/status every 10 ms: what an operator or a health check sees). Medians of
// BENCH_FLOOD_RUNS (default 3) rounds, the two modes interleaved.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlGet, freePort, keyFile, TestDaemon, tempDir } from './lib/daemons.mjs';
import { statusMiB } from './lib/proc.mjs';
import { median, nowMs, summarize, writeResult } from './lib/stats.mjs';

const ROUNDS = Number(process.env.BENCH_FLOOD_RUNS ?? 3);
const EVENTS = 20_000;
const observer = fileURLToPath(new URL('./fixtures/publishing-observer.mjs', import.meta.url));
const deafPublisher = fileURLToPath(
  new URL('../packages/plugin-sdk/test/fixtures/deaf-publisher.mjs', import.meta.url),
);

/** A daemon running one long-lived observer (`name`): node with `args`. */
async function daemonWith(name, args) {
  const root = tempDir(`bench-flood-${name}-`);
  const config = join(root, 'f.yaml');
  writeFileSync(
    config,
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec: { nodeName: onprem, listen: { address: 127.0.0.1, port: ${await freePort()} }, auth: { mode: hmac, secretFile: ${keyFile(root)} } }
---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: ${name} }
spec:
  executable: ${process.execPath}
  args: [${args.join(', ')}]
  lifecycle: longLived
  capabilities: [observe.events]
`,
  );
  return TestDaemon.start({ configFiles: [config], stateDir: join(root, 'state') });
}

/**
 * A plugin that publishes without end and never reads its stdin (the SDK's test fixture): the daemon's
 * peak RSS until the plugin is degraded (killed at the bound each time, restarted within its budget).
 */
async function deafRun() {
  const daemon = await daemonWith('deaf', [deafPublisher]);
  const started = nowMs();
  await daemon.waitForLog((l) => l.msg === 'plugin degraded: not running until its spec changes', 120_000);
  const seconds = (nowMs() - started) / 1000;
  const hwm = statusMiB(daemon.child.pid, 'VmHWM');
  const restarts = daemon.logs.filter((l) => l.msg === 'plugin stopped unexpectedly: restarting it').length;
  await daemon.stop();
  return { hwm, restarts, seconds };
}

async function publishRun(mode) {
  const daemon = await daemonWith('publishing-observer', [observer, mode, `'${EVENTS}'`]);
  const done = daemon.waitForLog((l) => l.msg === 'plugin publishing-observer: published', 120_000);
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  const waits = [];
  while (!finished) {
    const t = nowMs();
    await controlGet(daemon.stateDir, '/v1/status');
    waits.push(nowMs() - t);
    await new Promise((r) => setTimeout(r, 10));
  }
  const line = await done;
  const fields = line.pluginFields ?? line;
  const stored = (await controlGet(daemon.stateDir, '/v1/status')).events.stored;
  const hwm = statusMiB(daemon.child.pid, 'VmHWM');
  await daemon.stop();
  if (fields.accepted !== EVENTS || stored !== EVENTS)
    throw new Error(`${mode}: ${fields.accepted} accepted, ${stored} stored of ${EVENTS}`);
  const s = summarize(waits);
  return { ms: fields.ms, p50: s.p50, max: Math.max(...waits), samples: waits.length, hwm };
}

const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const batched = await publishRun('batched');
  const flood = await publishRun('flood');
  const deaf = await deafRun();
  rounds.push({ batched, flood, deaf });
  console.log(
    `round ${r + 1}: all answered in ${flood.ms.toFixed(0)} vs ${batched.ms.toFixed(0)} ms; control API wait p50 ${flood.p50.toFixed(1)} vs ${batched.p50.toFixed(1)} ms, longest ${flood.max.toFixed(1)} vs ${batched.max.toFixed(1)} ms`,
  );
}
const m = (f) => median(rounds.map(f));
const list = (f) => rounds.map((r) => f(r).toFixed(0)).join(', ');

writeResult('publish-flood', {
  title: 'An observer flooding events/publish: calls that arrive together are committed together (issue 18)',
  command: 'node bench/publish-flood.bench.mjs',
  rows: [
    {
      metric: `${EVENTS} one-event events/publish calls sent without waiting: first call → last answer (median of ${ROUNDS})`,
      value: m((r) => r.flood.ms),
      unit: 'ms',
      baseline: m((r) => r.batched.ms),
      baselineLabel: 'the same events in calls of 500, each sent after the last answer',
    },
    {
      metric: 'control API wait (GET /v1/status every 10 ms) while the flood is stored, p50',
      value: m((r) => r.flood.p50),
      unit: 'ms',
      baseline: m((r) => r.batched.p50),
      baselineLabel: 'while the calls of 500 are stored',
    },
    {
      metric: 'control API wait while the flood is stored, longest',
      value: m((r) => r.flood.max),
      unit: 'ms',
      baseline: m((r) => r.batched.max),
      baselineLabel: 'while the calls of 500 are stored',
    },
    {
      metric: `daemon peak RSS while a plugin publishes without end and never reads its stdin, until it is degraded (median of ${ROUNDS})`,
      value: m((r) => r.deaf.hwm),
      unit: 'MiB',
      baseline: m((r) => r.batched.hwm),
      baselineLabel: 'peak RSS storing the calls of 500',
    },
  ],
  notes: [
    `A plugin that never reads its stdin (packages/plugin-sdk/test/fixtures/deaf-publisher.mjs) is killed once 16 MiB of messages wait for it (twice the message size limit, since 2026-12-02) and restarted within its budget: per round ${list((r) => r.deaf.restarts)} restarts, degraded after ${rounds.map((r) => r.deaf.seconds.toFixed(1)).join(', ')} s; peak RSS ${list((r) => r.deaf.hwm)} MiB. Before, nothing bounded what waited for it: the daemon grew from 123 to 266 MiB in 18 s and went on (one-off, 2026-12-02).`,
    'A real routerd-eventd (WAL, synchronous=FULL) running a real long-lived SDK plugin (bench/fixtures/publishing-observer.mjs); times are the plugin’s own, from its first call to its last answer (an answer is sent once its call is committed); every event is checked stored at the end.',
    'Calls read in one turn of the event loop are stored in one transaction, at most 500 drafts each, the rest on the next turn (packages/host/src/plugins/publish.ts, since 2026-12-02); before, each call was its own commit: this bench on the build just before the change (2026-12-02, 3 rounds): the flood answered in 9029, 9492, 9239 ms (the calls of 500: 470, 530, 465 ms), the longest control API wait 639, 510, 371 ms (calls of 500: 65, 55, 38 ms).',
    `Per round (flood / calls of 500): answered in ${list((r) => r.flood.ms)} / ${list((r) => r.batched.ms)} ms; wait p50 ${list((r) => r.flood.p50)} / ${list((r) => r.batched.p50)} ms; control API calls made ${list((r) => r.flood.samples)} / ${list((r) => r.batched.samples)}; longest ${list((r) => r.flood.max)} / ${list((r) => r.batched.max)} ms.`,
    'What still holds the loop during a flood: the SDK connection parses and checks every line a read brings (a pipe’s worth, ~300 calls) before the commit’s turn comes; each call is also one answer written back.',
    `Load average when the run ended: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} on ${cpus().length} cores.`,
  ],
});
