// Issue 8 end to end: the ARP/DHCP observer runs as a long-lived plugin under the on-prem daemon, its
// `events/publish` goes through the host's emit pipeline, and the observations federate to the cloud.
// The source here is a dnsmasq leases file the test writes (no root needed); the neighbour-table
// source is covered by the plugin's own network-namespace tests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestDaemon } from '@routerd/host/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  arpObserverPlugin,
  eventsOfType,
  freePort,
  keyFile,
  newRoot,
  nodeConfig,
  routerctlJson,
  writeNodeFiles,
} from './support/federation.js';

const OBSERVER = fileURLToPath(
  new URL('../../../packages/plugins-arp-observer/dist/main.js', import.meta.url),
);
const daemons: TestDaemon[] = [];
afterAll(async () => {
  for (const d of daemons) await d.stop();
});

type Ev = {
  id: string;
  type: string;
  sourceNode: string;
  payload: Record<string, unknown>;
  expiresAt?: string;
};

describe('ARP/DHCP observer under the on-prem daemon', () => {
  it('publishes what it sees; the observations reach the cloud; a client that leaves is reported expired', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const leases = join(root, 'dnsmasq.leases');
    writeFileSync(leases, '');
    const [po, pc] = [await freePort(), await freePort()];
    const write = (name: string, text: string) => writeNodeFiles(root, name, text);
    const cloud = await TestDaemon.start(
      write('cloud', nodeConfig({ name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] })),
    );
    daemons.push(cloud);
    const observer = arpObserverPlugin(OBSERVER, [
      'domains: [{ name: lan, cidrs: [10.88.60.0/24] }]',
      'ownerSide: onprem',
      'ttl: 30s',
      'absentAfter: 1s',
      'resyncEvery: 1s',
      'leasePollEvery: 200ms',
      `sources: { neighbours: false, dnsmasq: ${leases} }`,
      'exclude: [10.88.60.1]',
    ]);
    const onprem = await TestDaemon.start(
      write(
        'onprem',
        `${nodeConfig({ name: 'onprem', port: po, key, peers: [{ name: 'cloud', port: pc }] })}---\n${observer}`,
      ),
    );
    daemons.push(onprem);

    const expiry = Math.floor(Date.now() / 1000) + 3600;
    writeFileSync(
      leases,
      `${expiry} 52:54:00:12:34:56 10.88.60.9 laptop *\n${expiry} 52:54:00:00:00:01 10.88.60.1 gateway *\n`,
    );

    const observedOn = (stateDir: string) => eventsOfType<Ev[]>(stateDir, 'routerd.client.ipv4.observed');
    await expect
      .poll(() => observedOn(cloud.stateDir), { timeout: 15_000 })
      .toEqual([
        expect.objectContaining({
          sourceNode: 'onprem',
          payload: {
            address: '10.88.60.9/32',
            mac: '52:54:00:12:34:56',
            hostname: 'laptop', // the lease's hostname column (issue 15)
            domain: 'lan',
            ownerSide: 'onprem',
            source: 'dhcp',
          },
        }),
      ]);
    // The excluded gateway never appears, on either side.
    expect(observedOn(onprem.stateDir).map((e) => e.payload.address)).toEqual(['10.88.60.9/32']);

    writeFileSync(leases, `${expiry} 52:54:00:00:00:01 10.88.60.1 gateway *\n`);
    await expect
      .poll(() => eventsOfType<Ev[]>(cloud.stateDir, 'routerd.client.ipv4.expired'), { timeout: 15_000 })
      .toEqual([
        expect.objectContaining({
          sourceNode: 'onprem',
          payload: expect.objectContaining({ address: '10.88.60.9/32' }),
        }),
      ]);
    const plugins = routerctlJson<{ name: string; state: string }[]>(onprem.stateDir, 'plugin', 'list');
    expect(plugins).toEqual([expect.objectContaining({ name: 'arp-observer', state: 'running' })]);
  });
});
