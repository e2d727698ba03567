// A receiver whose body limit (listen.maxBodyBytes) is below the sender's batch: the sender sends fewer
// events per request instead of failing them (413 for several events is not 413 for one). Two real
// daemons on loopback.
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/federation/secrets.js';
import { controlRequest, TestDaemon, tempDir } from '../../src/testing/index.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const running: TestDaemon[] = [];
afterAll(async () => {
  for (const d of running) await d.stop();
});

function node(root: string, name: string, port: number, peer: string, peerPort: number, key: string) {
  const file = join(root, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec:
  nodeName: ${name}
  listen: { address: 127.0.0.1, port: ${port}, maxBodyBytes: 65536 }
  auth: { mode: hmac, secretFile: ${key} }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: ${peer} }
spec: { groupRef: edge, nodeName: ${peer}, endpoint: "http://127.0.0.1:${peerPort}" }
`,
  );
  return { configFiles: [file], stateDir: join(root, `${name}-state`) };
}

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
    const key = join(root, 'edge.key');
    writeFileSync(key, `${generateSecret()}\n`, { mode: 0o600 });
    chmodSync(key, 0o600);
    const [po, pc] = [await freePort(), await freePort()];
    const cloud = await TestDaemon.start(node(root, 'cloud', pc, 'onprem', po, key));
    running.push(cloud);
    const onprem = await TestDaemon.start(node(root, 'onprem', po, 'cloud', pc, key));
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
