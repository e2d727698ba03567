// The receiver's bounds against a real daemon over loopback: the documented timeouts cut slow clients
// off, and idle connections cannot use up the daemon's file descriptors (which would take the control
// socket down with them). Loopback only: every connection comes from 127.0.0.1.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { parseSecretText } from '@routerd/host/keys';
import { TestDaemon } from '@routerd/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlGetText, freePort, keyFile, newRoot, storedCount, writeNode } from './support/federation.js';
import { cloudEvent, type Keys, postSigned } from './support/receiver.js';

/** The open-file limit the first daemon runs under: 600 idle sockets would exhaust it without the caps. */
const FD_LIMIT = 512;

/** Default listen limits (16 per address, 256 in total), under a low open-file limit. */
let capped: Node;
/** `listen.maxConnections: 8`, more than that per address: the total cap is the one that binds. */
let small: Node;

interface Node {
  daemon: TestDaemon;
  port: number;
  keys: Keys;
}

async function startNode(name: string, listenExtra = '', prefix?: string[]): Promise<Node> {
  const root = newRoot();
  const key = keyFile(root);
  const port = await freePort();
  const node = writeNode(root, { name, port, key, peers: [{ name: 'onprem', port: await freePort() }] });
  if (listenExtra) {
    const text = readFileSync(node.config, 'utf8');
    writeFileSync(node.config, text.replace(`port: ${port} }`, `port: ${port}, ${listenExtra} }`));
  }
  const daemon = await TestDaemon.start({ configFiles: [node.config], stateDir: node.stateDir, prefix });
  return { daemon, port, keys: parseSecretText(readFileSync(key, 'utf8')) };
}

beforeAll(async () => {
  capped = await startNode('cloud', '', ['sh', '-c', `ulimit -n ${FD_LIMIT} && exec "$@"`, 'sh']);
  small = await startNode('small', 'maxConnections: 8, maxConnectionsPerAddress: 64');
});
afterAll(async () => {
  await capped?.daemon.stop();
  await small?.daemon.stop();
});

interface Tracked {
  socket: Socket;
  closed: boolean;
}

/** Open `count` idle TCP connections to 127.0.0.1:port; resolves once each has connected or failed. */
async function openIdle(port: number, count: number): Promise<Tracked[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Tracked>((resolve) => {
          const t: Tracked = { socket: connect(port, '127.0.0.1'), closed: false };
          t.socket.on('error', () => {});
          t.socket.on('close', () => {
            t.closed = true;
          });
          t.socket.once('connect', () => resolve(t));
          t.socket.once('close', () => resolve(t));
        }),
    ),
  );
}

/** Poll `done` every 20 ms for at most `ms`; true if it held. */
async function within(ms: number, done: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function refusedCount(metrics: string, reason: string): number {
  const m = new RegExp(`routerd_receiver_refused_total\\{reason="${reason}"\\} (\\d+)`).exec(metrics);
  return m ? Number(m[1]) : 0;
}

/** GET /v1/health until it answers (the daemon has seen our closed sockets go), at most 5 s. */
async function healthy(port: number): Promise<boolean> {
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/v1/health`)).status === 200) return true;
    } catch {
      // refused by the cap while the daemon has not yet seen the closes
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function deliverOne(node: Node) {
  const event = cloudEvent();
  const res = await postSigned(`http://127.0.0.1:${node.port}/v1/events`, {
    keys: node.keys,
    body: JSON.stringify([event]),
  });
  return { res, id: event.id };
}

/**
 * A client that never finishes: `head` first, then one byte of `drip` every 250 ms. Resolves with what
 * the server answered and when it closed the connection (ms after connecting), or after `giveUpMs`.
 */
function slowClient(port: number, head: string, drip: string, giveUpMs: number) {
  return new Promise<{ answer: string; closedAfterMs?: number }>((resolve) => {
    const started = Date.now();
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    const timer = setInterval(() => socket.write(drip), 250);
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    let cut = false;
    socket.setEncoding('utf8').on('data', (c: string) => {
      answer += c;
    });
    socket.on('end', () => {
      cut = true;
    });
    socket.on('error', () => {
      cut = true;
    });
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ answer, closedAfterMs: cut || answer ? Date.now() - started : undefined });
    });
  });
}

/** Two slow clients one after the other: the second starts when the first is cut off. */
async function twoInARow(port: number, head: string, drip: string, giveUpMs: number) {
  const first = await slowClient(port, head, drip, giveUpMs);
  const second = await slowClient(port, head, drip, giveUpMs);
  return [first, second];
}

function expectTimeoutAnswer(r: { answer: string; closedAfterMs?: number }, atLeastMs: number) {
  expect(r.closedAfterMs, 'the server never cut the connection off').toBeDefined();
  expect(r.closedAfterMs!).toBeGreaterThanOrEqual(atLeastMs);
  expect(r.answer).toMatch(/^HTTP\/1\.1 408 /);
  expect(JSON.parse(r.answer.slice(r.answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
    error: { code: 'timeout', message: expect.any(String) },
  });
}

describe('receiver limits (real daemon)', () => {
  it(`keeps 16 connections per address under a flood of 600 idle ones, with ${FD_LIMIT} open files: the control API still answers`, async () => {
    const before = refusedCount(await controlGetText(capped.daemon.stateDir, '/metrics'), 'connection-limit');
    const sockets = await openIdle(capped.port, 600);
    try {
      const cut = await within(8000, () => sockets.filter((s) => s.closed).length >= 600 - 16);
      expect(cut, `only ${sockets.filter((s) => s.closed).length} of 600 idle connections were closed`).toBe(
        true,
      );
      expect(sockets.filter((s) => !s.closed)).toHaveLength(16);
      // Without the cap the daemon sits at its open-file limit: every open() it needs (a reload, a
      // plugin's pipes, a peer connection) would fail with EMFILE.
      const openFiles = readdirSync(`/proc/${capped.daemon.child.pid}/fd`).length;
      expect(openFiles, `the daemon holds ${openFiles} of ${FD_LIMIT} file descriptors`).toBeLessThan(
        FD_LIMIT / 2,
      );
      // The control socket is served while the receiver is saturated.
      expect(await storedCount(capped.daemon.stateDir)).toBeGreaterThanOrEqual(0);
      const metrics = await controlGetText(capped.daemon.stateDir, '/metrics');
      expect(refusedCount(metrics, 'connection-limit') - before).toBeGreaterThanOrEqual(600 - 16);
      expect(
        capped.daemon.logs.some((l) => l.msg === 'connection refused' && l.reason === 'connection-limit'),
      ).toBe(true);
    } finally {
      for (const s of sockets) s.socket.destroy();
    }
    // Within limits again: a peer's signed delivery goes through.
    expect(await healthy(capped.port)).toBe(true);
    const { res, id } = await deliverOne(capped);
    expect(res).toMatchObject({ status: 200, body: { accepted: [id] } });
  }, 30_000);

  it('caps the connections of all addresses together at listen.maxConnections', async () => {
    const sockets = await openIdle(small.port, 40);
    try {
      const cut = await within(8000, () => sockets.filter((s) => s.closed).length >= 32);
      expect(cut, `only ${sockets.filter((s) => s.closed).length} of 40 idle connections were closed`).toBe(
        true,
      );
      expect(sockets.filter((s) => !s.closed)).toHaveLength(8);
      expect(await storedCount(small.daemon.stateDir)).toBeGreaterThanOrEqual(0);
      const metrics = await controlGetText(small.daemon.stateDir, '/metrics');
      expect(refusedCount(metrics, 'connection-limit')).toBeGreaterThanOrEqual(32);
    } finally {
      for (const s of sockets) s.socket.destroy();
    }
    expect(await healthy(small.port)).toBe(true);
    const { res, id } = await deliverOne(small);
    expect(res).toMatchObject({ status: 200, body: { accepted: [id] } });
  });

  it('cuts off a client that sends its headers byte by byte after 10 s, and one that drips its body after 15 s, with a JSON 408', async () => {
    // Two in a row each: Node checks these timeouts on a fixed tick, and a tick as far apart as the
    // default 30 s could happen to fall just after the first client's deadline, never after both.
    const [headers, body] = await Promise.all([
      twoInARow(capped.port, 'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'x', 14_000),
      twoInARow(
        capped.port,
        'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/cloudevents-batch+json\r\n' +
          'routerd-node: onprem\r\nContent-Length: 100000\r\n\r\n[',
        ' ',
        19_000,
      ),
    ]);
    for (const r of headers) expectTimeoutAnswer(r, 9_500);
    for (const r of body) expectTimeoutAnswer(r, 14_500);
    const metrics = await controlGetText(capped.daemon.stateDir, '/metrics');
    expect(refusedCount(metrics, 'timeout')).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
