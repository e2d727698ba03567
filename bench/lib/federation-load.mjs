// Shared by the benches that run a federating pair of real daemons (federation, otlp-overhead): the
// events they emit, a pair's config, and sustained delivery throughput with each daemon's CPU per event.
import { rmSync } from 'node:fs';
import {
  controlPost,
  freePort,
  keyFile,
  nodeOptions,
  storedCount,
  TestDaemon,
  tempDir,
  waitFor,
} from './daemons.mjs';
import { cpuMeter } from './proc.mjs';
import { nowMs } from './stats.mjs';

export const THROUGHPUT_EVENTS = 20_000;

export const emit = (stateDir, events) => controlPost(stateDir, '/v1/events/batch', { events });

export const payload = (i) => ({
  address: `10.${100 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}/32`,
  domain: 'lan',
  ownerSide: 'onprem',
  source: 'arp',
});
export const event = (i, id) => ({
  id,
  type: 'routerd.client.ipv4.observed',
  ttl: '1h',
  payload: payload(i),
});

/**
 * The config files of two daemons federating over loopback (on-prem and cloud, each the other's peer) in a
 * new directory, and their state directories; `otlp`: both export to that collector. Nothing is started:
 * a bench may write a store first (bench/lib/raw-store.mjs).
 */
export async function pairConfigs(tag, { otlp } = {}) {
  const root = tempDir(`bench-fed-${tag}-`);
  const key = keyFile(root);
  const [po, pc] = [await freePort(), await freePort()];
  return {
    root,
    onprem: nodeOptions(root, { name: 'onprem', port: po, peer: 'cloud', peerPort: pc, key, otlp }),
    cloud: nodeOptions(root, { name: 'cloud', port: pc, peer: 'onprem', peerPort: po, key, otlp }),
  };
}

/** Two daemons federating over loopback, started; `otlp`: both export to that collector. */
export async function pair(tag, { otlp } = {}) {
  const configs = await pairConfigs(tag, { otlp });
  const onprem = await TestDaemon.start(configs.onprem);
  const cloud = await TestDaemon.start(configs.cloud);
  return { root: configs.root, onprem, cloud };
}

/**
 * Events a pipeline carries before it is measured (JIT, prepared statements, connections): the same for
 * the daemons and for the raw pipeline they are compared with.
 */
export const WARMUP_EVENTS = 5_000;

/** `count` events emitted in batches of 500 through the control socket in `stateDir`, ids `prefix-<n>`. */
export async function emitAll(stateDir, count, prefix) {
  for (let i = 0; i < count; i += 500)
    await emit(
      stateDir,
      Array.from({ length: 500 }, (_, k) => event(i + k, `${prefix}-${i + k}`)),
    );
}

/**
 * THROUGHPUT_EVENTS emitted in batches of 500 on-prem until all are stored on the cloud; first `warmup`
 * events (WARMUP_EVENTS, or 0: the daemons just started), delivered before the clock starts.
 */
export async function federationThroughput(round, { otlp, warmup = WARMUP_EVENTS } = {}) {
  const { root, onprem, cloud } = await pair('tput', { otlp });
  if (warmup > 0) {
    await emitAll(onprem.stateDir, warmup, `w${round}`);
    await waitFor(async () => (await storedCount(cloud.stateDir)) >= warmup, 300_000, 10);
  }
  const cpu = cpuMeter([onprem.child.pid, cloud.child.pid]);
  const started = nowMs();
  await emitAll(onprem.stateDir, THROUGHPUT_EVENTS, `t${round}`);
  await waitFor(async () => (await storedCount(cloud.stateDir)) >= warmup + THROUGHPUT_EVENTS, 300_000, 10);
  const seconds = (nowMs() - started) / 1000;
  const [senderUs, receiverUs] = cpu(THROUGHPUT_EVENTS);
  await onprem.stop();
  await cloud.stop();
  rmSync(root, { recursive: true, force: true });
  return { rate: THROUGHPUT_EVENTS / seconds, senderUs, receiverUs };
}
