// A receiver whose body limit (listen.maxBodyBytes) is below the sender's batch: the sender sends fewer
// events per request instead of failing them (413 for several events is not 413 for one). Two real
// daemons on loopback.
import { afterAll, describe, expect, it } from 'vitest';
import { controlRequest, freePort, TestDaemon, tempDir } from '../../src/testing/index.js';
import { pairKey, pairNode } from './daemon-pair.js';

const running: TestDaemon[] = [];
afterAll(async () => {
  for (const d of running) await d.stop();
});

const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
};

describe('a peer whose body limit is below a batch', () => {
  it('gets every event, in smaller requests, and none fails', async () => {
    const root = tempDir('routerd-body-limit-');
    const key = pairKey(root);
    const [po, pc] = [await freePort(), await freePort()];
    const listen = 'maxBodyBytes: 65536';
    const cloud = await TestDaemon.start(
      pairNode(root, { name: 'cloud', port: pc, peer: 'onprem', peerPort: po, key, listen }),
    );
    running.push(cloud);
    const onprem = await TestDaemon.start(
      pairNode(root, { name: 'onprem', port: po, peer: 'cloud', peerPort: pc, key, listen }),
    );
    running.push(onprem);

    // 300 events of ~1.1 KiB as CloudEvents: 100 of them are already over the cloud's 64 KiB.
    const events = Array.from({ length: 300 }, (_, i) => ({
      id: `big-${i}`,
      type: 'acme.inventory.seen',
      ttl: '1h',
      payload: { i, note: 'x'.repeat(1000) },
    }));
    const emitted = await controlRequest(onprem.socketPath, 'POST', '/v1/events/batch', { events });
    expect(emitted.status).toBe(200);

    const summary = async () =>
      (await controlRequest(onprem.socketPath, 'GET', '/v1/federation/deliveries/summary')).body.peers[0];
    await until(async () => (await summary()).pending === 0);
    expect(await summary()).toMatchObject({ peer: 'cloud', delivered: 300, failed: 0 });
    const stored = await controlRequest(
      cloud.socketPath,
      'GET',
      '/v1/events?type=acme.inventory.seen&limit=1000',
    );
    expect(stored.body.events).toHaveLength(300);
    const narrowed = onprem.logs.find(
      (l) => l.msg === 'peer refused a batch as too large: sending fewer events per request',
    );
    expect(narrowed).toMatchObject({ peer: 'cloud' });
    expect((narrowed as unknown as { maxEventsPerRequest: number }).maxEventsPerRequest).toBeLessThan(300);
  }, 60_000);
});
