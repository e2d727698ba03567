// An emit's answer leaves routerd-eventd after the peer push its commit started, through the control API
// and a plugin's events/publish alike (issue 18: the emitter is a local process; woken by its answer
// first, it can take the CPU of a one- or two-core router before the push is on the wire). A real daemon
// in this process, a real peer over loopback (a plain node:http server that accepts every batch), a real
// plugin process, and the order of the daemon's socket writes as Node makes them.
import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { controlRequest, freePort, tempDir, writeFile } from '../../src/testing/index.js';
import { pairKey } from './daemon-pair.js';
import { recordSocketWrites } from './socket-writes.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A peer that stores nothing and accepts every event of every batch. */
async function acceptingPeer(port: number): Promise<{ server: Server; received: () => number }> {
  let received = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }[];
      received += events.length;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ accepted: events.map((e) => e.id), duplicates: [], rejected: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { server, received: () => received };
}

async function onpremWithPeer(
  peerPort: number,
): Promise<{ socket: string; daemon: Daemon; config: string; dir: string }> {
  const dir = tempDir('push-before-answer-');
  const key = pairKey(dir);
  const config = writeFile(
    dir,
    'f.yaml',
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec:
  nodeName: onprem
  listen: { address: 127.0.0.1, port: ${await freePort()} }
  auth: { mode: hmac, secretFile: ${key} }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: cloud }
spec: { groupRef: edge, nodeName: cloud, endpoint: "http://127.0.0.1:${peerPort}" }
`,
  );
  const stateDir = join(dir, 'state');
  const daemon = await Daemon.start({
    configFiles: [config],
    stateDir,
    logger: pino({ level: 'silent' }),
    clock: systemClock,
  });
  cleanups.push(() => daemon.stop());
  return { socket: join(stateDir, 'routerd.sock'), daemon, config, dir };
}

const event = (id: string) => ({
  id,
  type: 'routerd.client.ipv4.observed',
  ttl: '300s',
  payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});

/** What the daemon writes from here on, in order: a push to the peer, or an answer on its control socket. */
const recordWrites = (peerPort: number): string[] =>
  recordSocketWrites((socket, text) => {
    const head = text.slice(0, 40);
    // By its headers: a socket still connecting has no remote port yet.
    if (head.startsWith('POST /v1/events ') && text.includes(`127.0.0.1:${peerPort}`)) return 'push';
    // The control socket is a unix socket: no remote port. An HTTP answer starts with its status line.
    if (socket.remotePort === undefined && head.startsWith('HTTP/1.1 2')) return 'answer';
    // A plugin's stdin is a pipe: the answer to its events/publish call.
    if (socket.remotePort === undefined && head.startsWith('{"jsonrpc":"2.0","id":"p:')) return 'answer';
    return undefined;
  });

/** The first delivery opens the keep-alive connection and finds the peer healthy, as in steady state. */
async function steadyState(socket: string, peer: { received: () => number }): Promise<void> {
  expect((await controlRequest(socket, 'POST', '/v1/events', event('first'))).status).toBe(201);
  await vi.waitFor(() => expect(peer.received()).toBe(1));
  await new Promise((r) => setTimeout(r, 50)); // the delivery's mark is written, the socket free again
}

describe('an emit answered after its peer push is written', () => {
  for (const [route, body] of [
    ['/v1/events/batch', { events: [event('second')] }],
    ['/v1/events', event('second')],
  ] as const) {
    it(`POST ${route}: the push goes out before the answer`, async () => {
      const peerPort = await freePort();
      const peer = await acceptingPeer(peerPort);
      const { socket } = await onpremWithPeer(peerPort);
      await steadyState(socket, peer);

      const writes = recordWrites(peerPort);
      const answered = await controlRequest(socket, 'POST', route, body);
      expect(answered.status).toBeLessThan(300);
      await vi.waitFor(() => expect(peer.received()).toBe(2));
      expect(writes.slice(0, 2)).toEqual(['push', 'answer']);
    });
  }

  it("a plugin's events/publish: the push goes out before the plugin's answer", async () => {
    const peerPort = await freePort();
    const peer = await acceptingPeer(peerPort);
    const { socket, daemon, config } = await onpremWithPeer(peerPort);
    await steadyState(socket, peer);
    const writes = recordWrites(peerPort);
    // An observer that publishes one event as soon as it is started (test/fixtures/publisher-plugin.mjs).
    appendFileSync(
      config,
      `---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: publisher }
spec:
  executable: ${process.execPath}
  args: [${fileURLToPath(new URL('../fixtures/publisher-plugin.mjs', import.meta.url))}]
  lifecycle: longLived
  capabilities: [observe.events]
  config: ${JSON.stringify({ drafts: [event('published')] })}
`,
    );
    expect(await daemon.reload()).toBe(true);
    await vi.waitFor(() => expect(peer.received()).toBe(2), { timeout: 10_000 });
    await vi.waitFor(() => expect(writes).toContain('answer'));
    expect(writes.slice(0, 2)).toEqual(['push', 'answer']);
  });
});
