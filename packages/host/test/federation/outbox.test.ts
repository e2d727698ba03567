import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_JSON_DEPTH } from '@routerd/plugin-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Clock, ManualClock, systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { EmitPipeline } from '../../src/events/emit.js';
import { capturedByConfig, NoObserveSet } from '../../src/events/no-observe.js';
import { MAX_ANSWER_BYTES } from '../../src/federation/delivered-answer.js';
import { generateSecret } from '../../src/federation/secrets.js';
import { Federation } from '../../src/federation/service.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { Retention } from '../../src/retention/service.js';
import { openDatabase } from '../../src/store/database.js';
import { DeliveryStore } from '../../src/store/deliveries.js';
import { EventStore } from '../../src/store/events.js';
import { freePort } from '../../src/testing/index.js';

// Two and three federation nodes in this process: real SQLite files, real HTTP on loopback.
const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
const key = join(dir, 'group.key');
writeFileSync(key, `${generateSecret()}\n`);
chmodSync(key, 0o600);

interface Node {
  name: string;
  port: number;
  store: EventStore;
  deliveries: DeliveryStore;
  pipeline: EmitPipeline;
  federation: Federation;
  retention: Retention;
  metrics: Metrics;
  logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
  close(): Promise<void>;
}

const open: Node[] = [];
afterEach(async () => {
  for (const n of open.splice(0)) await n.close();
});

async function node(
  name: string,
  port: number,
  peers: { name: string; port: number; types?: string[] }[],
  clock: Clock = systemClock,
  dbFile?: string,
): Promise<Node> {
  const yaml = [
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec:
  nodeName: ${name}
  listen: { address: 127.0.0.1, port: ${port} }
  auth: { mode: hmac, secretFile: ${key} }
  # Longer than retention.maxAge (168h), so the prune test can hold live events past it.
  maxEventTtl: 720h
`,
    ...peers.map(
      (p) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: ${p.name} }
spec:
  groupRef: edge
  nodeName: ${p.name}
  endpoint: http://127.0.0.1:${p.port}
  push: { types: [${(p.types ?? []).join(', ')}] }
  retry: { baseDelay: 50ms, maxDelay: 200ms }
`,
    ),
  ].join('---\n');
  const file = join(dir, `${name}-${port}.yaml`);
  writeFileSync(file, yaml);
  const load = loadConfig([file]);
  if (!load.ok) throw new Error(JSON.stringify(load.issues));
  const db = openDatabase(dbFile ?? join(dir, `${name}-${port}.db`));
  const store = new EventStore(db, clock);
  const noObserve = new NoObserveSet();
  noObserve.replace('config', capturedByConfig(load.config));
  const pipeline = new EmitPipeline({ store, clock, noObserve, config: () => load.config });
  const logs: Node['logs'] = [];
  const metrics = createMetrics();
  const deliveries = new DeliveryStore(db);
  const federation = new Federation({
    events: store,
    deliveries,
    clock,
    metrics,
    log: (level, msg, fields) => logs.push({ level, msg, fields }),
  });
  const retention = new Retention({
    db,
    config: () => load.config,
    clock,
    metrics,
    log: (level, msg, fields) => logs.push({ level, msg, fields }),
  });
  await federation.apply(load.config);
  const n: Node = {
    name,
    port,
    store,
    deliveries,
    pipeline,
    federation,
    retention,
    metrics,
    logs,
    close: async () => {
      await retention.stop();
      await federation.stop();
      db.close();
    },
  };
  open.push(n);
  return n;
}

const observed = (i: number) => ({
  type: 'routerd.client.ipv4.observed',
  ttl: '300s',
  payload: {
    address: `10.88.${Math.floor(i / 250)}.${i % 250}/32`,
    domain: 'lan',
    ownerSide: 'onprem',
    source: 'arp' as const,
  },
});

/**
 * A peer on loopback that is not a routerd receiver (an older version, another implementation, a proxy):
 * it answers each batch as `answer` says, from the ids it carries, and keeps each request's ids. It reads
 * no signature.
 */
async function loopbackPeer(answer: (ids: string[]) => { status?: number; body: unknown; delayMs?: number }) {
  const requests: string[][] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ids = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }[]).map((e) => e.id);
      requests.push(ids);
      const { status = 200, body, delayMs = 0 } = answer(ids);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      setTimeout(() => res.end(JSON.stringify(body)), delayMs);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  // The sender keeps its connection alive: closed here, or close() waits for it.
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { port, requests, close };
}

describe('outbox delivery between nodes', () => {
  it('pushes what a node originates to its peer at once, exactly once', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }]);
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    const [out] = onprem.pipeline.emitBatch(Array.from({ length: 250 }, (_, i) => observed(i)));
    await expect.poll(() => cloud.store.count(), { timeout: 5000 }).toBe(250);
    expect(cloud.store.lookup(out!.event.id)?.event).toEqual(out!.event);
    // The last acknowledgement may still be on its way back: wait for the sender to record it.
    await expect
      .poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0])
      .toMatchObject({ delivered: 250, pending: 0, failed: 0 });
    // Each delivered event's commit → peer time is observed once, under its peer.
    const latency = await onprem.metrics.registry.getSingleMetricAsString('routerd_delivery_latency_seconds');
    expect(latency).toContain('routerd_delivery_latency_seconds_count{peer="cloud"} 250');
    // Received events are never re-forwarded: the cloud has nothing pending towards on-prem.
    expect(cloud.deliveries.summary(['onprem'], Date.now())[0]).toMatchObject({
      delivered: 0,
      pending: 0,
    });
  });

  it('an emit that leaves fewer rows than a batch reads the outbox once, then the request goes out', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }]);
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    onprem.pipeline.emitBatch([observed(0)]); // a first delivery, so the peer is known healthy
    await expect.poll(() => cloud.store.count(), { timeout: 5000 }).toBe(1);
    await expect.poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0]?.pending).toBe(0);
    const due = vi.spyOn(onprem.deliveries, 'due');
    try {
      onprem.pipeline.emitBatch([observed(1), observed(2), observed(3)]);
      // Synchronously, in the emit: one read found the three rows and sent them; none after it.
      expect(due).toHaveBeenCalledTimes(1);
      expect(due.mock.results[0]?.value).toMatchObject({
        full: false,
        deliveries: [expect.anything(), expect.anything(), expect.anything()],
      });
    } finally {
      due.mockRestore();
    }
    await expect.poll(() => cloud.store.count(), { timeout: 5000 }).toBe(4);
  });

  it('a peer that is down gets everything when it comes back, after backoff', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }]);
    onprem.pipeline.emitBatch(Array.from({ length: 20 }, (_, i) => observed(i)));
    await expect
      .poll(() => onprem.deliveries.list({ peer: 'cloud' })[0]?.attempts ?? 0)
      .toBeGreaterThanOrEqual(3);
    expect(onprem.federation.workerStates()).toEqual([{ peer: 'cloud', state: 'backing-off' }]);
    // The backlog is what an operator's alert watches: counted at scrape time.
    expect(await onprem.metrics.registry.metrics()).toMatch(/^routerd_outbox_pending\{peer="cloud"\} 20$/m);
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    await expect.poll(() => cloud.store.count(), { timeout: 5000 }).toBe(20);
    await expect.poll(() => onprem.federation.workerStates()[0]?.state).toBe('healthy');
    await expect
      .poll(() => onprem.metrics.registry.metrics())
      .toMatch(/^routerd_outbox_pending\{peer="cloud"\} 0$/m);
  });

  it('a batch the peer refuses for some of its events (a 400 naming them) fails only those: the rest is delivered', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }]);
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    // Stored by an older version, before payloads were bounded: the peer refuses it (400 malformed, /1/data).
    let deep: Record<string, unknown> = {};
    for (let i = 1; i < MAX_JSON_DEPTH + 1; i++) deep = { x: deep };
    const now = Date.now();
    const event = (id: string, payload: Record<string, unknown>, type = 'vendor.legacy.thing') => ({
      id,
      group: 'edge',
      sourceNode: 'onprem',
      type,
      payload,
      observedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 300_000).toISOString(),
    });
    onprem.store.insert([
      event('good-0', { n: 0 }),
      event('legacy-deep', deep),
      event('good-1', { n: 1 }),
      event('good-2', { n: 2 }),
    ]);
    await expect.poll(() => cloud.store.count(), { timeout: 5000 }).toBe(3);
    await expect
      .poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0])
      .toMatchObject({ delivered: 3, pending: 0, failed: 1 });
    const [failed] = onprem.deliveries.list({ peer: 'cloud', status: 'failed' });
    expect(failed).toMatchObject({ eventId: 'legacy-deep' });
    expect(failed?.lastError).toBe(
      `http 400: refused by peer: /1/data: payload must be JSON nested at most ${MAX_JSON_DEPTH} levels deep (was deeper)`,
    );
    expect(onprem.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'peer refused events of a batch: only those failed' }),
    );
  });

  it("events a peer may not take from this node (queued under the node's old name) fail alone; the new ones are delivered", async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }]);
    // Stored and queued while this node was onprem-old, as a rename leaves them (rows written here: the
    // outbox queues only its own node's events)…
    const now = Date.now();
    const old = (id: string) => ({
      id,
      group: 'edge',
      sourceNode: 'onprem-old',
      type: 'vendor.thing.seen',
      payload: { id },
      observedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 300_000).toISOString(),
    });
    onprem.store.insert([old('old-0'), old('old-1')]);
    for (const id of ['old-0', 'old-1']) onprem.deliveries.enqueue(id, ['cloud'], now, false);
    // …then two new events: their commit wakes the outbox, which sends all four in one request.
    onprem.pipeline.emitBatch([
      { type: 'vendor.thing.seen', payload: { n: 2 }, id: 'new-0' },
      { type: 'vendor.thing.seen', payload: { n: 3 }, id: 'new-1' },
    ]);
    // The peer refuses the old ones (403 wrong-source, each named): they fail, the new ones arrive.
    await expect
      .poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0], { timeout: 5000 })
      .toMatchObject({ delivered: 2, pending: 0, failed: 2 });
    expect(cloud.store.lookup('new-0')).toBeDefined();
    expect(cloud.store.lookup('new-1')).toBeDefined();
    const failed = onprem.deliveries.list({ peer: 'cloud', status: 'failed' });
    expect(failed.map((d) => d.eventId).sort()).toEqual(['old-0', 'old-1']);
    // Named by the peer in a request of several (a request of one would fail whole, without this prefix).
    for (const d of failed)
      expect(d.lastError).toMatch(
        new RegExp(
          `^http 403: refused by peer: /[0-3]/source: event ${d.eventId} claims source node "onprem-old" but was signed by "onprem"`,
        ),
      );
    expect(onprem.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'peer refused events of a batch: only those failed' }),
    );
  });

  describe('a peer that refuses a batch without naming the event (an older version, another implementation, a proxy)', () => {
    /**
     * A peer answering 400 malformed, with no issue naming an event, to a batch holding an event `refuses`
     * picks (all of them: every request), and 200 otherwise.
     */
    const unnamingPeer = (refuses: (id: string) => boolean, message = 'invalid batch') =>
      loopbackPeer((ids) =>
        ids.some(refuses)
          ? { status: 400, body: { error: { code: 'malformed', message } } }
          : { body: { accepted: ids, duplicates: [], rejected: [] } },
      );
    const seen = (n: number) => ({ type: 'vendor.thing.seen', payload: { n }, id: `e-${n}` });

    it('one bad event among 40: smaller requests find it; it fails alone, the 39 others are delivered', async () => {
      const peer = await unnamingPeer((id) => id === 'e-23');
      try {
        const onprem = await node('onprem', await freePort(), [{ name: 'cloud', port: peer.port }]);
        onprem.pipeline.emitBatch(Array.from({ length: 40 }, (_, n) => seen(n)));
        await expect
          .poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0], { timeout: 5000 })
          .toMatchObject({ delivered: 39, pending: 0, failed: 1 });
        expect(onprem.deliveries.list({ peer: 'cloud', status: 'failed' })).toEqual([
          expect.objectContaining({ eventId: 'e-23', lastError: 'http 400: invalid batch' }),
        ]);
        // Halved by each refusal (40, 20, 10, 5, 2, 1 hold it): a handful of requests, not one per event.
        expect(peer.requests.length).toBeLessThanOrEqual(12);
        expect(peer.requests.filter((ids) => ids.includes('e-23')).map((ids) => ids.length)).toEqual([
          40, 20, 10, 5, 2, 1,
        ]);
        expect(onprem.logs).toContainEqual(
          expect.objectContaining({
            level: 'warn',
            msg: 'peer refused a batch without naming an event: sending fewer per request to find it',
          }),
        );
        // Found: later batches go whole again.
        onprem.pipeline.emitBatch(Array.from({ length: 30 }, (_, n) => seen(100 + n)));
        await expect.poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0]?.delivered).toBe(69);
        expect(peer.requests.at(-1)).toHaveLength(30);
      } finally {
        await peer.close();
      }
    });

    it("a refusal's message is kept in the event's last error to a line, not to what the peer sent", async () => {
      const peer = await unnamingPeer(() => true, 'no. '.repeat(50_000));
      try {
        const onprem = await node('onprem', await freePort(), [{ name: 'cloud', port: peer.port }]);
        onprem.pipeline.emitBatch([seen(0)]);
        await expect
          .poll(() => onprem.deliveries.list({ peer: 'cloud', status: 'failed' })[0]?.lastError, {
            timeout: 5000,
          })
          .toBe(`http 400: ${'no. '.repeat(125)}`);
      } finally {
        await peer.close();
      }
    });

    it('a peer that refuses every request: after one search, batches fail whole (not one request per event)', async () => {
      const peer = await unnamingPeer(() => true);
      try {
        const onprem = await node('onprem', await freePort(), [{ name: 'cloud', port: peer.port }]);
        onprem.pipeline.emitBatch(Array.from({ length: 200 }, (_, n) => seen(n)));
        await expect
          .poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0], { timeout: 5000 })
          .toMatchObject({ delivered: 0, pending: 0, failed: 200 });
        // Halved while looking (up to 4 requests in flight at each size), until events refused alone; nothing
        // was ever delivered, so the refusal is every request's: what is left goes, and fails, in one.
        const sizes = peer.requests.map((ids) => ids.length);
        expect(sizes[0]).toBe(200);
        expect(sizes.length).toBeLessThanOrEqual(4 * Math.ceil(Math.log2(200)) + 2);
        const alone = sizes.filter((n) => n === 1).length;
        expect(alone).toBeGreaterThan(0);
        // (a request already out when the first event failed alone fails whole too)
        expect(sizes.at(-1)).toBeGreaterThan(200 - 8);
      } finally {
        await peer.close();
      }
    });
  });

  describe("a peer whose 2xx answer is not the receiver's", () => {
    /** A peer answering every batch 200 with `answer(ids)` as its body, `delayMs(ids)` later. */
    const answeringPeer = (answer: (ids: string[]) => unknown, delayMs = (_: string[]) => 0) =>
      loopbackPeer((ids) => ({ body: answer(ids), delayMs: delayMs(ids) }));
    const seen = (n: number) => ({ type: 'vendor.thing.seen', payload: { n }, id: `e-${n}` });

    it('a rejected list that is no list, or entries of no shape: the batch is delivered, the answer is logged as unreadable', async () => {
      const answers: [unknown, string | undefined][] = [
        [{ rejected: 'all of them' }, '`rejected` is not a list'],
        [{ rejected: [null, 7, { id: 3 }] }, '3 rejected entries without a string id and reason'],
        [null, undefined],
        ['ok', undefined],
      ];
      for (const [round, [answer, ignored]] of answers.entries()) {
        const peer = await answeringPeer(() => answer);
        try {
          const onprem = await node('onprem', await freePort(), [{ name: 'cloud', port: peer.port }]);
          onprem.pipeline.emitBatch([seen(10 * round), seen(10 * round + 1)]);
          await expect
            .poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0], { timeout: 5000 })
            .toMatchObject({ delivered: 2, pending: 0, failed: 0 });
          expect(peer.requests, JSON.stringify(answer)).toHaveLength(1);
          expect(onprem.logs.filter((l) => l.level === 'error')).toEqual([]);
          const unreadable = onprem.logs.filter((l) =>
            l.msg.startsWith("a peer's answer is not the receiver's"),
          );
          expect(unreadable.map((l) => l.fields?.ignored)).toEqual(ignored ? [ignored] : []);
          await onprem.close();
          open.splice(open.indexOf(onprem), 1);
        } finally {
          await peer.close();
        }
      }
    });

    it('an answer over MAX_ANSWER_BYTES is not read: the batch is sent again', async () => {
      let answered = 0;
      const peer = await answeringPeer((ids) =>
        answered++ === 0
          ? { pad: 'x'.repeat(MAX_ANSWER_BYTES) }
          : { accepted: ids, duplicates: [], rejected: [] },
      );
      try {
        const onprem = await node('onprem', await freePort(), [{ name: 'cloud', port: peer.port }]);
        onprem.pipeline.emitBatch([seen(0)]);
        await expect
          .poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0]?.delivered, { timeout: 5000 })
          .toBe(1);
        expect(peer.requests).toEqual([['e-0'], ['e-0']]);
      } finally {
        await peer.close();
      }
    });

    it('rejecting an event another request carries changes nothing of that event', async () => {
      // The answer to [e-0], held 300 ms, rejects e-1, which went meanwhile in a request of its own (answered
      // at 600 ms).
      const peer = await answeringPeer(
        (ids) => ({
          accepted: ids,
          duplicates: [],
          rejected: ids.includes('e-0') ? [{ id: 'e-1', reason: 'id-conflict' }] : [],
        }),
        (ids) => (ids.includes('e-0') ? 300 : 600),
      );
      try {
        const onprem = await node('onprem', await freePort(), [{ name: 'cloud', port: peer.port }]);
        onprem.pipeline.emitBatch([seen(0)]);
        await expect.poll(() => peer.requests.length).toBe(1);
        onprem.pipeline.emitBatch([seen(1)]);
        await expect
          .poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0], { timeout: 5000 })
          .toMatchObject({ delivered: 2, failed: 0, pending: 0 });
        expect(peer.requests).toEqual([['e-0'], ['e-1']]);
        expect(onprem.logs).toContainEqual(
          expect.objectContaining({
            level: 'warn',
            msg: "a peer's answer is not the receiver's: its unreadable part is ignored",
          }),
        );
      } finally {
        await peer.close();
      }
    });
  });

  it('push filters choose what goes to a peer', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb, types: ['routerd.client.*'] }]);
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    onprem.pipeline.emitBatch([observed(1), { type: 'vendor.other.thing', payload: { x: 1 } }]);
    await expect.poll(() => cloud.store.count()).toBe(1);
    expect(onprem.deliveries.list({}).map((d) => d.peer)).toEqual(['cloud']);
  });

  it('a TTL refresh is pushed again so the peer copy is refreshed too', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }]);
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    const first = onprem.pipeline.emit({ ...observed(5), id: 'refresh-me', ttl: '60s' });
    await expect.poll(() => cloud.store.lookup('refresh-me')?.event.expiresAt).toBe(first.event.expiresAt);
    const second = onprem.pipeline.emit({ ...observed(5), id: 'refresh-me', ttl: '600s' });
    expect(second.status).toBe('refreshed');
    await expect.poll(() => cloud.store.lookup('refresh-me')?.event.expiresAt).toBe(second.event.expiresAt);
  });

  it('three nodes each pushing to the other two: everyone has everything', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const names = ['a', 'b', 'c'];
    const nodes = await Promise.all(
      names.map((n, i) =>
        node(
          n,
          ports[i]!,
          names.flatMap((m, j) => (j === i ? [] : [{ name: m, port: ports[j]! }])),
        ),
      ),
    );
    for (const [i, n] of nodes.entries())
      n.pipeline.emitBatch(Array.from({ length: 30 }, (_, k) => observed(i * 30 + k)));
    for (const n of nodes) await expect.poll(() => n.store.count(), { timeout: 5000 }).toBe(90);
  });

  it('pending deliveries survive a restart and resume', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const dbFile = join(dir, 'restart.db');
    const first = await node('onprem', pa, [{ name: 'cloud', port: pb }], systemClock, dbFile);
    first.pipeline.emitBatch(Array.from({ length: 10 }, (_, i) => observed(i)));
    await first.close();
    open.splice(open.indexOf(first), 1);
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    await node('onprem', pa, [{ name: 'cloud', port: pb }], systemClock, dbFile);
    await expect.poll(() => cloud.store.count(), { timeout: 5000 }).toBe(10);
  });

  it('an event that expires while its peer is down is never delivered', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const clock = new ManualClock(Date.now());
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }], clock);
    onprem.pipeline.emit({ ...observed(9), id: 'short-lived', ttl: '300ms' });
    clock.advance(1_500); // past the TTL and the outbox's once-a-second expiry bookkeeping
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    onprem.federation.redeliver('nothing');
    await expect.poll(() => onprem.deliveries.list({ eventId: 'short-lived' })[0]?.status).toBe('expired');
    expect(cloud.store.lookup('short-lived')).toBeUndefined();
  });

  it('an expired event put back to pending after the last expiry pass is marked, not left pending', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const clock = new ManualClock(Date.now());
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }], clock);
    const ticking =
      <T>(read: () => T) =>
      () => {
        clock.advance(20);
        return read();
      };
    const passes = vi.spyOn(onprem.deliveries, 'expire');
    onprem.pipeline.emit({ ...observed(7), id: 'short-lived', ttl: '2s' });
    await expect.poll(ticking(() => cloud.store.lookup('short-lived'))).toBeDefined();
    // Past its TTL; the next emit makes the outbox's once-a-second pass run, which marks nothing (the row
    // is delivered) and from then on reads only what expires later.
    clock.advance(2_500);
    onprem.pipeline.emit({ ...observed(8), id: 'kick' });
    await expect.poll(ticking(() => cloud.store.lookup('kick'))).toBeDefined();
    // The outbox's first pass (at start, before the spy) read every expired event; each since, only what
    // expired after the one before it.
    const calls = passes.mock.calls;
    expect(calls.length).toBeGreaterThan(0);
    for (const [i, [, now, after]] of calls.entries()) {
      expect(after).toBeGreaterThan(Number.MIN_SAFE_INTEGER);
      expect(after).toBeLessThan(now);
      if (i > 0) expect(after).toBe(calls[i - 1]![1]);
    }
    // An operator puts the expired event back: due, never sent, and behind the pass's window.
    expect(onprem.federation.redeliver('short-lived')).toBe(1);
    await expect
      .poll(ticking(() => onprem.deliveries.list({ eventId: 'short-lived' })[0]?.status))
      .toBe('expired');
    expect(onprem.deliveries.summary(['cloud'], clock.now())[0]).toMatchObject({ pending: 0 });
  });

  it('a wall clock stepped back while a peer backs off holds its outbox no longer than its longest backoff', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    // Four minutes fast (inside the peer's 5 min replay window, so its events are not refused as from the
    // future), then corrected by NTP to the true time while the peer is down.
    const clock = new ManualClock(Date.now() + 240_000);
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }], clock);
    onprem.pipeline.emitBatch(Array.from({ length: 5 }, (_, i) => observed(i)));
    // The peer is down: requests fail (the refusal is real, on loopback) until the worker backs off.
    await expect
      .poll(() => {
        clock.advance(50);
        return onprem.federation.workerStates()[0]?.state;
      })
      .toBe('backing-off');
    // Timers keep their delays (Node's run on a monotonic clock): the probe timer still fires on time.
    clock.step(-240_000);
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    // No more than the peer's longest backoff (200 ms +20 %) passes before it is tried again. Before, the
    // probe and every row waited for the clock to catch up: 4 minutes.
    await expect
      .poll(
        () => {
          clock.advance(50);
          return cloud.store.count();
        },
        { timeout: 5000 },
      )
      .toBe(5);
    expect(onprem.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'the clock stepped back: retries scheduled past the longest backoff are due sooner',
      }),
    );
  });

  it('prune removes exactly what the dry-run plan listed, counting undelivered events', async () => {
    const clock = new ManualClock(Date.now());
    const [pa, pb] = [await freePort(), await freePort()];
    // No cloud running: everything stays pending, so pruning it must be counted as undelivered.
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }], clock);
    onprem.pipeline.emitBatch([
      { ...observed(1), ttl: '1s' },
      { ...observed(2), ttl: '720h' },
      { ...observed(3), ttl: '720h' },
    ]);
    clock.advance(10 * 60_000); // the 1s event is now expired for longer than the grace
    const plan = await onprem.retention.plan();
    expect(plan.events.listed.map((e) => [e.reason, e.undelivered])).toEqual([['expired', false]]);
    const before = onprem.store.list({ includeExpired: true }).map((e) => e.id);
    const result = await onprem.retention.prune(plan);
    expect(result.rows.events).toBe(1);
    const after = onprem.store.list({ includeExpired: true }).map((e) => e.id);
    expect(before.filter((id) => !after.includes(id))).toEqual(plan.events.listed.map((e) => e.id));
    clock.advance(8 * 24 * 3_600_000); // past maxAge (168h): the two live, undelivered ones go too, counted
    const old = await onprem.retention.plan();
    expect(old.events.listed.map((e) => [e.reason, e.undelivered])).toEqual([
      ['max-age', true],
      ['max-age', true],
    ]);
    expect(await onprem.retention.prune(old)).toMatchObject({
      rows: { events: 2 },
      events: { total: 2, undelivered: 2 },
    });
    expect(onprem.store.count()).toBe(0);
  });

  // A full state partition (or an I/O error) refuses writes: the daemon must keep going and lose nothing.
  const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

  it('a delivery outcome the store cannot record is logged, and the batch is sent again later (absorbed as a duplicate)', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }]);
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    const markDelivered = vi.spyOn(onprem.deliveries, 'markDelivered');
    markDelivered.mockImplementationOnce(() => {
      throw diskFull();
    });
    onprem.pipeline.emitBatch(Array.from({ length: 5 }, (_, i) => observed(i)));
    await expect
      .poll(() => onprem.deliveries.summary(['cloud'], Date.now())[0], { timeout: 5000 })
      .toMatchObject({ delivered: 5, pending: 0, failed: 0 });
    expect(markDelivered.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(cloud.store.count()).toBe(5);
    expect(onprem.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: expect.stringMatching(/^recording a delivery outcome failed/),
        fields: expect.objectContaining({ peer: 'cloud', code: 'SQLITE_FULL' }),
      }),
    );
  });

  it('an outbox the store cannot read pauses delivery, then resumes', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const onprem = await node('onprem', pa, [{ name: 'cloud', port: pb }]);
    const cloud = await node('cloud', pb, [{ name: 'onprem', port: pa }]);
    const due = vi.spyOn(onprem.deliveries, 'due');
    due.mockImplementationOnce(() => {
      throw diskFull();
    });
    onprem.pipeline.emitBatch([observed(1)]);
    await expect.poll(() => cloud.store.count(), { timeout: 5000 }).toBe(1);
    expect(onprem.logs.map((l) => l.msg)).toContainEqual(expect.stringMatching(/^reading the outbox failed/));
  });
});
