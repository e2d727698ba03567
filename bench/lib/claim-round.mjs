// One round of observe on-prem → claim on the cloud (bench/claim-latency, bench/otlp-overhead): fresh
// daemons and a real long-lived plugin process, CLAIM_EVENTS events one every CLAIM_INTERVAL_MS, the
// two latencies of each read from the cloud's store afterwards.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlGet, controlPost, freePort, keyFile, nodeOptions, TestDaemon, tempDir } from './daemons.mjs';
import { epochMs, summarize, untilStamped } from './stats.mjs';

const require = createRequire(new URL('../../packages/host/package.json', import.meta.url));
const Database = require('better-sqlite3');
const PLUGIN = fileURLToPath(new URL('../../tests/e2e/test/fixtures/claims-plugin.mjs', import.meta.url));
// 1000 (200 before 2026-12-03): with 200, a round's p99 was its second-largest sample, and moved by ±3 ms
// between rounds of the same build. BENCH_CLAIM_EVENTS for a quick check.
export const CLAIM_EVENTS = Number(process.env.BENCH_CLAIM_EVENTS ?? 1000);
export const CLAIM_INTERVAL_MS = 50;
const N = CLAIM_EVENTS;
const INTERVAL_MS = CLAIM_INTERVAL_MS;

/**
 * The cloud's extra config: the claims plugin (long-lived) and an EventSubscription `clients` of the
 * observed events to it, with `trigger` besides its pluginRef (e.g. `batchWindow: 0s, debounce: 0s`).
 */
export const claimsSubscription = (trigger = '') => `---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: claims }
spec: { executable: ${PLUGIN}, lifecycle: longLived, capabilities: [propose.dynamicConfig, propose.providerAction] }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: clients }
spec: { groupRef: edge, match: { types: ['routerd.client.ipv4.observed'] }, trigger: { pluginRef: claims${trigger ? `, ${trigger}` : ''} } }
`;

/** One round: fresh daemons and plugin, N events, the two latencies of each read from the cloud's store. */
/** `otlp`: both daemons export to that collector. */
export async function claimRound({ otlp } = {}) {
  const root = tempDir('bench-claim-');
  const key = keyFile(root);
  const [po, pc] = [await freePort(), await freePort()];
  const node = (name, port, peer, peerPort, extra = '') =>
    nodeOptions(root, { name, port, peer, peerPort, key, pushTypes: ["'routerd.client.*'"], extra, otlp });
  const cloudOpts = node('cloud', pc, 'onprem', po, claimsSubscription('batchWindow: 0s, debounce: 0s'));
  const cloud = await TestDaemon.start(cloudOpts);
  const onprem = await TestDaemon.start(node('onprem', po, 'cloud', pc));

  const emittedAt = new Map();
  for (let i = 0; i < N; i++) {
    const address = `10.88.${60 + Math.floor(i / 250)}.${(i % 250) + 1}`;
    const id = `lat-${i}`;
    emittedAt.set(id, { at: epochMs(), part: `clients-${address.replaceAll('.', '-')}` });
    await controlPost(onprem.stateDir, '/v1/events', {
      id,
      type: 'routerd.client.ipv4.observed',
      ttl: '300s',
      payload: { address: `${address}/32`, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
    });
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
  }
  for (let tries = 0; tries < 300; tries++) {
    const { parts } = await controlGet(cloud.stateDir, '/v1/dynamic/parts');
    if (parts.length >= N) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await onprem.stop();
  await cloud.stop();

  const db = new Database(join(cloudOpts.stateDir, 'routerd.db'), { readonly: true });
  const stored = new Map(
    db
      .prepare('SELECT id, stored_at_ms FROM events')
      .all()
      .map((r) => [r.id, r.stored_at_ms]),
  );
  const partAt = new Map(
    db
      .prepare('SELECT name, updated_ms FROM dynamic_parts')
      .all()
      .map((r) => [r.name, r.updated_ms]),
  );
  db.close();
  rmSync(root, { recursive: true, force: true });
  const claim = [];
  const federation = [];
  for (const [id, { at, part }] of emittedAt) {
    if (partAt.has(part)) claim.push(untilStamped(partAt.get(part), at));
    if (stored.has(id)) federation.push(untilStamped(stored.get(id), at));
  }
  return { c: summarize(claim), f: summarize(federation) };
}
