// How a peer worker fills the pipe: real SQLite, a real PeerClient over loopback HTTP to a receiver that
// holds its answers until the test lets them go, and a ManualClock so no timer fires unless moved.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event } from '@routerd/plugin-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { EmitPipeline } from '../../src/events/emit.js';
import { NoObserveSet } from '../../src/events/no-observe.js';
import { PeerWorker } from '../../src/federation/outbox.js';
import { PeerClient } from '../../src/federation/peer-client.js';
import { generateSecret, loadSecretFile } from '../../src/federation/secrets.js';
import { Federation } from '../../src/federation/service.js';
import { createMetrics } from '../../src/metrics.js';
import { openDatabase } from '../../src/store/database.js';
import { DeliveryStore } from '../../src/store/deliveries.js';
import { EventStore } from '../../src/store/events.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'outbox-pipeline-'));
const keyFile = join(dir, 'k');
writeFileSync(keyFile, `${generateSecret()}\n`);
chmodSync(keyFile, 0o600);

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A receiver that records each batch and answers only when released (all accepted). */
async function holdingReceiver() {
  const held: { ids: string[]; answer: () => void }[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ids = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }[]).map((e) => e.id);
      held.push({
        ids,
        answer: () =>
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ accepted: ids, duplicates: [], rejected: [] })),
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  cleanup.push(() => server.closeAllConnections());
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, held };
}

function event(i: number): Event {
  return {
    id: `e${String(i).padStart(4, '0')}`,
    group: 'lab',
    sourceNode: 'onprem-1',
    type: 'acme.thing.seen',
    payload: { i },
    observedAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + 3_600_000).toISOString(),
  };
}

/**
 * A peer worker (batches of 100, a 5 ms linger) on a real store, delivering to a receiver that holds
 * each request until the test answers it; time is a manual clock.
 */
async function workerOnHoldingReceiver() {
  const clock = new ManualClock(T0);
  const db = openDatabase(join(mkdtempSync(join(dir, 'db-')), 'routerd.db'));
  cleanup.push(() => {
    db.close();
  });
  const events = new EventStore(db, clock);
  const deliveries = new DeliveryStore(db);
  events.withinInsert((changed, now) => {
    for (const o of changed) deliveries.enqueue(o.event.id, ['cloud'], now, false, o.seq);
  });
  const receiver = await holdingReceiver();
  const client = new PeerClient({
    endpoint: receiver.endpoint,
    node: 'onprem-1',
    keys: () => loadSecretFile(keyFile),
    maxSockets: 4,
    clock,
  });
  cleanup.push(() => client.close());
  const worker = new PeerWorker({
    peer: 'cloud',
    client,
    store: deliveries,
    clock,
    backoff: { baseDelayMs: 100, maxDelayMs: 1000, jitter: 0 },
    replayWindowMs: 300_000,
    maxBatch: 100,
    lingerMs: 5,
  });
  cleanup.push(() => worker.stop());
  return { clock, events, deliveries, receiver, worker };
}

describe('a peer worker under load', () => {
  it('sends a full batch at once while others are in flight; only a sliver waits for the linger', async () => {
    const { clock, events, deliveries, receiver, worker } = await workerOnHoldingReceiver();
    events.insert(Array.from({ length: 250 }, (_, i) => event(i)));
    worker.kick();
    // The first batch goes because the pipe was idle, the second because it is full; the last 50 are a
    // sliver while two requests are in flight, so they wait for the linger (a timer: the clock has not moved).
    await expect.poll(() => receiver.held.length).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(receiver.held.map((h) => h.ids.length)).toEqual([100, 100]);
    clock.advance(5);
    await expect.poll(() => receiver.held.length).toBe(3);
    expect(receiver.held[2]!.ids.length).toBe(50);
    // Every event went exactly once, none twice (the rows on the wire were left out of each read).
    expect(new Set(receiver.held.flatMap((h) => h.ids)).size).toBe(250);
    for (const h of receiver.held) h.answer();
    await expect.poll(() => deliveries.pendingCount('cloud')).toBe(0);
  });
});

describe('a peer worker at a light rate', () => {
  it('with one request in flight, sends the next small batch at once instead of lingering', async () => {
    const { events, deliveries, receiver, worker } = await workerOnHoldingReceiver();
    // One commit's events go at once (the pipe is idle) and are held unanswered by the receiver.
    events.insert(Array.from({ length: 5 }, (_, i) => event(i)));
    worker.kick();
    await expect.poll(() => receiver.held.length).toBe(1);
    // The next commit's, with that request still in flight: sent too, with no timer run (the clock stands).
    events.insert(Array.from({ length: 5 }, (_, i) => event(5 + i)));
    worker.kick();
    await expect.poll(() => receiver.held.length).toBe(2);
    expect(receiver.held.map((h) => h.ids.length)).toEqual([5, 5]);
    for (const h of receiver.held) h.answer();
    await expect.poll(() => deliveries.pendingCount('cloud')).toBe(0);
  });
});

describe('Federation wakes only the workers that got rows', () => {
  it('an event for one peer does not make the other read its outbox', async () => {
    const clock = new ManualClock(T0);
    const a = await holdingReceiver();
    const b = await holdingReceiver();
    const peer = (name: string, endpoint: string, type: string) => `---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: ${name} }
spec: { groupRef: lab, nodeName: ${name}, endpoint: '${endpoint}', push: { types: ['${type}'] } }
`;
    const file = join(dir, 'two-peers.yaml');
    writeFileSync(
      file,
      `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: lab }
spec: { nodeName: onprem-1, auth: { mode: hmac, secretFile: ${keyFile} } }
${peer('a', a.endpoint, 'acme.a.*')}${peer('b', b.endpoint, 'acme.b.*')}`,
    );
    const load = loadConfig([file]);
    if (!load.ok) throw new Error(JSON.stringify(load.issues));
    const db = openDatabase(join(mkdtempSync(join(dir, 'db-')), 'routerd.db'));
    const store = new EventStore(db, clock);
    const deliveries = new DeliveryStore(db);
    const federation = new Federation({
      events: store,
      deliveries,
      clock,
      metrics: createMetrics(),
      log: () => {},
    });
    cleanup.push(() => {
      db.close();
    });
    cleanup.push(() => federation.stop());
    await federation.apply(load.config);
    const pipeline = new EmitPipeline({
      store,
      clock,
      noObserve: new NoObserveSet(),
      config: () => load.config,
    });
    const due = vi.spyOn(deliveries, 'due');
    pipeline.emit({ type: 'acme.a.seen', ttl: '1h', payload: {} });
    await expect.poll(() => a.held.length).toBe(1);
    expect(due.mock.calls.map((c) => c[0])).not.toContain('b');
    expect(due.mock.calls.map((c) => c[0])).toContain('a');
    for (const h of a.held) h.answer();
  });
});
