// "Add the plugin later", as the deploy how-to says: events reach the cloud before its EventSubscription
// and Plugin exist; a reload that adds them runs the plugin over the stored events it matches, through
// the ledger, and a later reload runs nothing again. Two real daemons over loopback.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestDaemon } from '@routerd/host/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  emitObservedWithRouterctl,
  freePort,
  keyFile,
  newRoot,
  nodeConfig,
  routerctlJson,
  storedCount,
  writeNodeFiles,
} from './support/federation.js';

const CLAIMS = fileURLToPath(new URL('./fixtures/claims-plugin.mjs', import.meta.url));

const running: TestDaemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

const subscriptionAndPlugin = (maxEvents?: number) => `---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: claims }
spec:
  executable: ${CLAIMS}
  capabilities: [propose.dynamicConfig, propose.providerAction]
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: claims-from-onprem }
spec:
  groupRef: edge
  match: { types: [routerd.client.ipv4.observed], sourceNodes: [onprem] }
  trigger: { pluginRef: claims, maxBatch: 2 }${maxEvents === undefined ? '' : `\n  backfill: { maxEvents: ${maxEvents} }`}
`;

type Run = { subscription: string; eventId: string; status: string };
type PluginRun = { runId: string; trigger: string; subscription: string | null; events: number };

async function pair() {
  const root = newRoot();
  const key = keyFile(root);
  const [po, pc] = [await freePort(), await freePort()];
  const cloudBase = nodeConfig({ name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] });
  const cloudFiles = writeNodeFiles(root, 'cloud', cloudBase);
  const cloud = await TestDaemon.start(cloudFiles);
  running.push(cloud);
  const onprem = await TestDaemon.start(
    writeNodeFiles(
      root,
      'onprem',
      nodeConfig({
        name: 'onprem',
        port: po,
        key,
        peers: [{ name: 'cloud', port: pc, types: ['routerd.client.ipv4.*'] }],
      }),
    ),
  );
  running.push(onprem);
  /** Rewrite the cloud's config file and SIGHUP it; resolves once the reload is logged. */
  const reloadCloud = async (text: string) => {
    writeFileSync(cloudFiles.configFiles[0]!, text);
    const before = cloud.logs.filter((l) => l.msg === 'config reloaded').length;
    cloud.signal('SIGHUP');
    await expect
      .poll(() => cloud.logs.filter((l) => l.msg === 'config reloaded').length, { timeout: 15_000 })
      .toBe(before + 1);
  };
  return { cloud, onprem, cloudBase, reloadCloud };
}

function observe(onprem: TestDaemon, address: string) {
  const r = emitObservedWithRouterctl(onprem.stateDir, address, '--ttl', '600s');
  expect(r.code, r.stderr).toBe(0);
}

const claimNames = (cloud: TestDaemon) =>
  routerctlJson<{ name: string; source: string }[]>(cloud.stateDir, 'dynamic', 'list')
    .filter((p) => p.source === 'EventSubscription/claims-from-onprem')
    .map((p) => p.name)
    .sort();
const ledger = (cloud: TestDaemon) =>
  routerctlJson<Run[]>(
    cloud.stateDir,
    'federation',
    'subscription',
    'runs',
    '--subscription',
    'claims-from-onprem',
  );
const pluginRuns = (cloud: TestDaemon) =>
  routerctlJson<PluginRun[]>(cloud.stateDir, 'plugin', 'runs', '--plugin', 'claims');

describe('an EventSubscription added by a reload', () => {
  it('runs its plugin over the stored events it matches; the claims appear; a second reload re-runs nothing', async () => {
    const { cloud, onprem, cloudBase, reloadCloud } = await pair();
    const addresses = ['10.88.60.21/32', '10.88.60.22/32', '10.88.60.23/32'];
    for (const a of addresses) observe(onprem, a);
    await expect.poll(() => storedCount(cloud.stateDir), { timeout: 20_000 }).toBe(3);
    expect(claimNames(cloud)).toEqual([]);

    await reloadCloud(cloudBase + subscriptionAndPlugin());
    const expected = addresses
      .map((a) => `claims-from-onprem-${a.split('/')[0]!.replaceAll('.', '-')}`)
      .sort();
    await expect.poll(() => claimNames(cloud), { timeout: 20_000 }).toEqual(expected);
    // The ledger has one row per stored event, each handled; the runs went through the batches (maxBatch 2).
    await expect
      .poll(() => ledger(cloud).map((r) => r.status), { timeout: 10_000 })
      .toEqual(['succeeded', 'succeeded', 'succeeded']);
    const runs = pluginRuns(cloud);
    expect(runs.every((r) => r.trigger === 'event' && r.subscription === 'claims-from-onprem')).toBe(true);
    expect(runs.reduce((n, r) => n + r.events, 0)).toBe(3);
    expect(runs.length).toBe(2);
    expect(
      cloud.logs.find((l) => l.msg === 'subscription backfill: stored events it never saw were queued'),
    ).toMatchObject({ subscription: 'claims-from-onprem', events: 3 });

    // A second reload (nothing changed) and a new event: only the new event runs.
    await reloadCloud(cloudBase + subscriptionAndPlugin());
    observe(onprem, '10.88.60.24/32');
    await expect.poll(() => ledger(cloud).length, { timeout: 20_000 }).toBe(4);
    await expect.poll(() => pluginRuns(cloud).reduce((n, r) => n + r.events, 0), { timeout: 10_000 }).toBe(4);
    expect(pluginRuns(cloud).length).toBe(3);
    expect(ledger(cloud).every((r) => r.status === 'succeeded')).toBe(true);
  });

  it('takes at most spec.backfill.maxEvents, oldest first, and says the rest follow at the next reload', async () => {
    const { cloud, onprem, cloudBase, reloadCloud } = await pair();
    const addresses = ['10.88.60.31/32', '10.88.60.32/32', '10.88.60.33/32'];
    for (const a of addresses) observe(onprem, a);
    await expect.poll(() => storedCount(cloud.stateDir), { timeout: 20_000 }).toBe(3);

    await reloadCloud(cloudBase + subscriptionAndPlugin(2));
    await expect
      .poll(() => claimNames(cloud), { timeout: 20_000 })
      .toEqual(['claims-from-onprem-10-88-60-31', 'claims-from-onprem-10-88-60-32']);
    expect(
      cloud.logs.find((l) => String(l.msg).startsWith('subscription backfill: more stored events')),
    ).toMatchObject({ level: 40, events: 2 });

    await reloadCloud(cloudBase + subscriptionAndPlugin(2));
    await expect
      .poll(() => claimNames(cloud), { timeout: 20_000 })
      .toEqual([
        'claims-from-onprem-10-88-60-31',
        'claims-from-onprem-10-88-60-32',
        'claims-from-onprem-10-88-60-33',
      ]);
    await expect.poll(() => pluginRuns(cloud).reduce((n, r) => n + r.events, 0), { timeout: 10_000 }).toBe(3);
  });
});
