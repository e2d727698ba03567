#!/usr/bin/env node
// The memory of a real routerd-eventd process (VmRSS and VmHWM from /proc/<pid>/status): idle with an
// empty store, and after 1,000,000 events ingested through its control API (POST /v1/events/batch of
// 1000, one after another), steady (after 10 s idle) and at its peak. Beside, in the same run, a bare Node
// process that only waits (`node -e 'setInterval(…)'`, Node alone) — the floor any daemon starts from.
// BENCH_MEMORY_RUNS (default 3) runs of each; BENCH_MEMORY_EVENTS (default 1,000,000); BENCH_HOST_DIR:
// the packages/host directory whose dist/ is measured (default this checkout's; another's for an A/B).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { DEPLOYED_NODE_OPTIONS, deployedEnv, freePort, keyFile, tempDir } from './lib/daemons.mjs';
import { median, nowMs, writeResult } from './lib/stats.mjs';

const RUNS = Number(process.env.BENCH_MEMORY_RUNS ?? 3);
const EVENTS = Number(process.env.BENCH_MEMORY_EVENTS ?? 1_000_000);
const BATCH = 1000;
const IDLE_MS = 3000;
const SETTLE_MS = 10_000;
const hostDir = resolve(process.env.BENCH_HOST_DIR ?? new URL('../packages/host/', import.meta.url).pathname);
const bin = join(hostDir, 'dist/bin/routerd-eventd.js');

const mib = (pid, field) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))[1]) / 1024;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function call(socketPath, method, path, body) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c) => {
          text += c;
        });
        res.on('end', () =>
          res.statusCode < 300
            ? resolvePromise(JSON.parse(text))
            : reject(new Error(`${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A daemon as deployed: the bin, a config with a receiver, --log-level warn. Resolves once it answers. */
async function startDaemon(root) {
  const stateDir = join(root, 'state');
  mkdirSync(stateDir, { mode: 0o700, recursive: true });
  const config = join(root, 'federation.yaml');
  writeFileSync(
    config,
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: lab }
spec:
  nodeName: onprem-1
  listen: { address: 127.0.0.1, port: ${await freePort()} }
  auth: { mode: hmac, secretFile: ${keyFile(root)} }
  captured: [10.88.60.0/24]
  retention: { maxEvents: ${EVENTS} }
`,
  );
  const daemon = spawn(
    process.execPath,
    [bin, '--config', config, '--state-dir', stateDir, '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: deployedEnv() },
  );
  const socketPath = join(stateDir, 'routerd.sock');
  for (let i = 0; ; i++) {
    try {
      await call(socketPath, 'GET', '/v1/status');
      return { daemon, socketPath };
    } catch {
      if (i > 600) throw new Error('routerd-eventd did not start');
      await sleep(50);
    }
  }
}

async function stop(child) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** Node alone: the RSS of a process that has started and waits. */
async function nodeAlone() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(IDLE_MS);
  const rss = mib(child.pid, 'VmRSS');
  await stop(child);
  return rss;
}

async function idleDaemon() {
  const root = tempDir('routerd-bench-mem-');
  const { daemon } = await startDaemon(root);
  await sleep(IDLE_MS);
  const rss = mib(daemon.pid, 'VmRSS');
  idleSplit.push({ anon: mib(daemon.pid, 'RssAnon'), file: mib(daemon.pid, 'RssFile') });
  await stop(daemon);
  rmSync(root, { recursive: true, force: true });
  return rss;
}

function draft(i) {
  const address = `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}/32`;
  return {
    id: `mem-${String(i).padStart(8, '0')}`,
    type: 'routerd.client.ipv4.observed',
    subject: address,
    ttl: '24h',
    payload: { address, domain: 'lan', ownerSide: 'onprem', source: 'arp', interface: 'eth1' },
  };
}

async function ingest() {
  const root = tempDir('routerd-bench-mem-');
  const { daemon, socketPath } = await startDaemon(root);
  const t0 = nowMs();
  let sampledMax = 0;
  for (let i = 0; i < EVENTS; i += BATCH) {
    const events = [];
    for (let j = i; j < Math.min(EVENTS, i + BATCH); j++) events.push(draft(j));
    await call(socketPath, 'POST', '/v1/events/batch', { events });
    if ((i / BATCH) % 50 === 0) sampledMax = Math.max(sampledMax, mib(daemon.pid, 'VmRSS'));
  }
  const seconds = (nowMs() - t0) / 1000;
  const stored = (await call(socketPath, 'GET', '/v1/status')).events.stored;
  await sleep(SETTLE_MS);
  const steady = mib(daemon.pid, 'VmRSS');
  const peak = mib(daemon.pid, 'VmHWM');
  await stop(daemon);
  rmSync(root, { recursive: true, force: true });
  console.log(
    `ingested ${stored} in ${seconds.toFixed(0)} s: steady ${steady.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB`,
  );
  return { steady, peak, seconds, stored };
}

const alone = [];
const idle = [];
/** The idle daemon's RSS split: anonymous (V8 heap, malloc) and file-backed (the node binary's pages). */
const idleSplit = [];
const after = [];
for (let r = 0; r < RUNS; r++) {
  alone.push(await nodeAlone());
  idle.push(await idleDaemon());
  console.log(
    `run ${r + 1}: Node alone ${alone.at(-1).toFixed(1)} MiB, idle daemon ${idle.at(-1).toFixed(1)} MiB`,
  );
}
for (let r = 0; r < RUNS; r++) after.push(await ingest());

const base = median(alone);
const steady = median(after.map((a) => a.steady));
const peak = median(after.map((a) => a.peak));
const k = EVENTS >= 1_000_000 ? `${EVENTS / 1_000_000}M` : `${EVENTS / 1000}k`;
writeResult('daemon-memory', {
  title: 'routerd-eventd memory: idle, and after 1M events ingested (issue 18)',
  command: 'node bench/daemon-memory.bench.mjs',
  rows: [
    {
      metric: `RSS idle, empty store (median of ${RUNS})`,
      value: median(idle),
      unit: 'MiB',
      baseline: base,
      baselineLabel: 'Node alone, idle',
    },
    {
      metric: `RSS ${SETTLE_MS / 1000} s after ingesting ${k} events (median of ${RUNS})`,
      value: steady,
      unit: 'MiB',
      baseline: base,
      baselineLabel: 'Node alone, idle',
    },
    {
      metric: `peak RSS (VmHWM) while ingesting ${k} events (median of ${RUNS})`,
      value: peak,
      unit: 'MiB',
      baseline: base,
      baselineLabel: 'Node alone, idle',
    },
  ],
  notes: [
    `Goal (issue 18): idle ≤ 80 MiB; after ${k} events and at the peak ≤ 120 MiB. The daemon runs as deployed: the bin, a receiver on 127.0.0.1, --log-level warn; ingest is POST /v1/events/batch of ${BATCH}, one after another (${median(after.map((a) => a.seconds)).toFixed(0)} s median).`,
    `The bin tunes its process before loading anything (packages/host/src/daemon/process-tuning.ts): arktype interprets schemas instead of compiling them, and the young generation stays at its start size until the daemon has started. Node runs with the service unit's NODE_OPTIONS (${DEPLOYED_NODE_OPTIONS}): from then on the young generation may grow under load up to 4 MiB per semi-space (since 2026-12-02; before, it never grew).`,
    `Idle, split (medians): anonymous ${median(idleSplit.map((s) => s.anon)).toFixed(1)} MiB (V8 heap, malloc), file-backed ${median(idleSplit.map((s) => s.file)).toFixed(1)} MiB (mostly the node binary's pages); per run: ${idle.map((v) => v.toFixed(1)).join(', ')} MiB.`,
    "Since 88.6 MiB (2026-12-01): arktype is loaded with stand-ins for the lazy fetch globals it reads at import, so Node never loads undici (with http2, tls, zlib, web streams: daemon/fetch-globals.ts); the control API schemas (@routerd/host-wire) and the config schemas of each kind are built on first use (lazyType), so an idle EventGroup-only daemon builds neither; TurboFan is off until the daemon has started (--no-opt, turned back on by settleHeap). Still held (heap snapshot, ~22 MB live): arktype's keyword scope (~5 MB), the SDK's protocol and domain schemas (~4 MB, built at its import), module sources (~2.5 MB), express, pino and prom-client (~3 MB), the daemon's code; file-backed, Node's binary (35 MB of it in any Node process).",
  ],
});
