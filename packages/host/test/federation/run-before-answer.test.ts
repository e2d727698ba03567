// A received batch's subscription run starts before the sender is answered (issue 18: the answer is the
// sender's bookkeeping; the run is what the event is for on this node, and answered first, the answer's
// write and the sender it woke came before the plugin's request). Two real daemons in this process
// federating over loopback, a real long-lived plugin process, and the order of the receiver's socket
// writes as Node makes them.
import { appendFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { controlRequest, freePort, tempDir } from '../../src/testing/index.js';
import { HOST_FIXTURE, pluginYaml } from '../plugins/harness.js';
import { pairKey, pairNode } from './daemon-pair.js';
import { recordSocketWrites } from './socket-writes.js';

const daemons: Daemon[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const d of daemons.splice(0).reverse()) await d.stop();
});

const start = async (options: { configFiles: string[]; stateDir: string }) => {
  const daemon = await Daemon.start({ ...options, logger: pino({ level: 'silent' }), clock: systemClock });
  daemons.push(daemon);
  return daemon;
};

const observed = (id: string) => ({
  id,
  type: 'routerd.client.ipv4.observed',
  ttl: '300s',
  payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});

/** What the cloud daemon writes from here on, in order: a plugin/run request, or its answer to a push. */
const recordCloudWrites = (cloudPort: number): string[] =>
  recordSocketWrites((socket, text) => {
    // The plugin's stdin is a pipe (no port); the host's requests to it are JSON-RPC lines.
    if (socket.remotePort === undefined && text.includes('"method":"plugin/run"')) return 'run';
    // The receiver's answer: on a connection accepted on the cloud's listening port.
    if (socket.localPort === cloudPort && text.startsWith('HTTP/1.1 200')) return 'answer';
    return undefined;
  });

describe('a received batch and the subscription it triggers', () => {
  it("the plugin's request is written before the sender is answered", async () => {
    const root = tempDir('run-before-answer-');
    const key = pairKey(root);
    const [onpremPort, cloudPort] = [await freePort(), await freePort()];
    const cloudNode = pairNode(root, {
      name: 'cloud',
      port: cloudPort,
      peer: 'onprem',
      peerPort: onpremPort,
      key,
    });
    // The cloud runs every observation it receives through a long-lived plugin, as a claims plugin is run.
    appendFileSync(
      cloudNode.configFiles[0]!,
      `---
${pluginYaml({ name: 'answer', script: HOST_FIXTURE('result-plugin.mjs'), lifecycle: 'longLived', config: { status: { observedAt: new Date().toISOString() } } })}---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: clients }
spec: { groupRef: edge, match: { types: [routerd.client.ipv4.observed] }, trigger: { pluginRef: answer } }
`,
    );
    await start(cloudNode);
    await start(
      pairNode(root, { name: 'onprem', port: onpremPort, peer: 'cloud', peerPort: cloudPort, key }),
    );
    const onpremSocket = `${root}/onprem-state/routerd.sock`;
    const cloudSocket = `${root}/cloud-state/routerd.sock`;
    const runs = async () =>
      (await controlRequest(cloudSocket, 'GET', '/v1/subscriptions/runs')).body.runs as { status: string }[];

    // Steady state first: the plugin started and answering, the push connection open.
    expect((await controlRequest(onpremSocket, 'POST', '/v1/events', observed('first'))).status).toBe(201);
    await vi.waitFor(async () => expect((await runs()).map((r) => r.status)).toEqual(['succeeded']), {
      timeout: 10_000,
    });

    const writes = recordCloudWrites(cloudPort);
    expect((await controlRequest(onpremSocket, 'POST', '/v1/events', observed('second'))).status).toBe(201);
    await vi.waitFor(
      async () => expect((await runs()).filter((r) => r.status === 'succeeded')).toHaveLength(2),
      {
        timeout: 10_000,
      },
    );
    expect(writes.slice(0, 2)).toEqual(['run', 'answer']);
  });
});
