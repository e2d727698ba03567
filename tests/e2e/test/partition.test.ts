// A real partition: on-prem and cloud daemons in their own network namespaces, joined by a veth pair
// whose link goes down and comes back. Needs root (CI runs as root).
import { join } from 'node:path';
import { TestDaemon } from '@routerd/host/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  emitBatch,
  keyFile,
  newRoot,
  observed,
  routerctlJson,
  storedCount,
  writeNode,
} from './support/federation.js';
import { createNetnsPair } from './support/netns.js';

const net = createNetnsPair('p');
const daemons: TestDaemon[] = [];
afterAll(async () => {
  for (const d of daemons) await d.stop();
  net.destroy();
});

describe('partition between namespaces', () => {
  it('events emitted during a partition are delivered once the link heals; nothing lost or doubled', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const onpremNode = writeNode(root, {
      name: 'onprem',
      address: net.a.address,
      port: 9443,
      key,
      retry: { baseDelay: '100ms', maxDelay: '1s' },
      peers: [{ name: 'cloud', address: net.b.address, port: 9443 }],
    });
    const cloudNode = writeNode(root, {
      name: 'cloud',
      address: net.b.address,
      port: 9443,
      key,
      peers: [{ name: 'onprem', address: net.a.address, port: 9443 }],
    });
    const cloud = await TestDaemon.start({
      configFiles: [cloudNode.config],
      stateDir: cloudNode.stateDir,
      prefix: net.b.exec,
    });
    daemons.push(cloud);
    const onprem = await TestDaemon.start({
      configFiles: [onpremNode.config],
      stateDir: onpremNode.stateDir,
      prefix: net.a.exec,
    });
    daemons.push(onprem);
    const sock = join(onprem.stateDir, 'routerd.sock');

    await emitBatch(
      sock,
      Array.from({ length: 100 }, (_, i) => observed(i, '1h', `before-${i}`)),
    );
    await expect.poll(() => storedCount(cloud.stateDir), { timeout: 10_000 }).toBe(100);

    net.partition();
    await emitBatch(
      sock,
      Array.from({ length: 300 }, (_, i) => observed(1000 + i, '1h', `during-${i}`)),
    );
    await expect
      .poll(() => routerctlJson<{ state: string }[]>(onprem.stateDir, 'federation', 'peers')[0]!.state, {
        timeout: 20_000,
      })
      .toBe('backing-off');
    expect(await storedCount(cloud.stateDir)).toBe(100);

    net.heal();
    await expect.poll(() => storedCount(cloud.stateDir), { timeout: 30_000 }).toBe(400);
    const summary = routerctlJson<{ delivered: number; pending: number; failed: number }[]>(
      onprem.stateDir,
      'federation',
      'deliveries',
      'summary',
    );
    await expect
      .poll(
        () =>
          routerctlJson<{ delivered: number }[]>(onprem.stateDir, 'federation', 'deliveries', 'summary')[0]!
            .delivered,
      )
      .toBe(400);
    expect(summary[0]!.failed).toBe(0);
  }, 90_000);
});
