import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { causeSpanOf, isTraceParent, spanIdOf, traceIdOf } from '@routerd/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { FederationConfig } from '../../src/config/index.js';
import { EmitPipeline } from '../../src/events/emit.js';
import { NoObserveSet } from '../../src/events/no-observe.js';
import { MEDIA_BATCH, toCloudEvent } from '../../src/federation/cloudevents.js';
import type { ReceiveOutcome } from '../../src/federation/receiver.js';
import { generateSecret, parseSecretText } from '../../src/federation/secrets.js';
import { sign } from '../../src/federation/signing.js';
import { PublishCommits } from '../../src/plugins/publish.js';
import { allMigrations, openDatabase } from '../../src/store/database.js';
import { EventStore } from '../../src/store/events.js';
import { listenOnLoopback } from '../federation/loopback-receiver.js';

// Trace context end to end on one node's real parts: the emit pipeline into SQLite, and a real receiver
// over loopback HTTP storing into SQLite what a signed request brought.
const T0 = Date.parse('2026-11-27T06:00:00Z');
const clock = new ManualClock(T0);
const keys = parseSecretText(generateSecret());
const tmp = () => join(mkdtempSync(join(tmpdir(), 'routerd-trace-')), 'routerd.db');

const config: FederationConfig = {
  files: [],
  groups: [
    {
      resource: {
        apiVersion: 'federation.routerd.net/v1alpha1',
        kind: 'EventGroup',
        metadata: { name: 'edge' },
        spec: { nodeName: 'onprem', maxEventTtl: '24h', replayWindow: '5m' },
      },
    },
  ] as unknown as FederationConfig['groups'],
  peers: [],
  subscriptions: [],
  plugins: [],
  policies: [],
  actionPolicies: [],
};

describe('emit: a trace is born where the observation is, inherited by what it causes', () => {
  const store = new EventStore(openDatabase(tmp()), clock);
  const pipeline = new EmitPipeline({ store, clock, noObserve: new NoObserveSet(), config: () => config });
  const draft = (n: number) => ({ type: 'routerd.test.happened', payload: { n } });

  it('each emitted event starts its own trace, stored and read back', () => {
    const [a, b] = pipeline.emitBatch([draft(1), draft(2)]);
    expect(isTraceParent(a!.event.traceparent)).toBe(true);
    expect(traceIdOf(a!.event.traceparent!)).not.toBe(traceIdOf(b!.event.traceparent!));
    expect(a!.event.tracestate).toBeUndefined();
    expect(store.lookup(a!.event.id)!.event.traceparent).toBe(a!.event.traceparent);
  });

  it("a plugin's events/publish (the ARP observer's path) starts a trace per draft; a draft's own is ignored", async () => {
    const result = await new PublishCommits(pipeline).publish({
      events: [{ ...draft(5), traceparent: 'not-a-trace' }, draft(6)],
    });
    expect(result.rejected).toEqual([]);
    const [a, b] = result.accepted.map((id) => store.lookup(id)!.event);
    expect(isTraceParent(a!.traceparent)).toBe(true);
    expect(traceIdOf(a!.traceparent!)).not.toBe(traceIdOf(b!.traceparent!));
  });

  it('events written because of another are its children: same trace, new span, the cause named', () => {
    const cause = pipeline.emit(draft(3)).event;
    const [ack] = pipeline.emitBatch([draft(4)], '/events', {
      cause: { traceparent: cause.traceparent! },
    });
    const stored = store.lookup(ack!.event.id)!.event;
    expect(traceIdOf(stored.traceparent!)).toBe(traceIdOf(cause.traceparent!));
    expect(spanIdOf(stored.traceparent!)).not.toBe(spanIdOf(cause.traceparent!));
    expect(causeSpanOf(stored.tracestate)).toBe(spanIdOf(cause.traceparent!));
  });
});

describe('a store made before migration 54', () => {
  it('gets the trace columns; its events read without trace context', () => {
    const file = tmp();
    const old = openDatabase(
      file,
      allMigrations.filter((m) => m.version < 54),
    );
    old
      .prepare(`INSERT INTO events (id, group_name, source_node, type, payload, observed_at, stored_at_ms)
        VALUES ('old-1', 'edge', 'onprem', 'routerd.test.happened', '{}', '2026-11-27T05:00:00Z', 0)`)
      .run();
    old.close();
    const store = new EventStore(openDatabase(file), clock);
    expect(store.lookup('old-1')!.event).not.toHaveProperty('traceparent');
    store.insert([
      {
        id: 'new-1',
        group: 'edge',
        sourceNode: 'onprem',
        type: 'routerd.test.happened',
        payload: {},
        observedAt: '2026-11-27T05:00:00Z',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    ]);
    expect(store.lookup('new-1')!.event.traceparent).toBe(
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    );
  });
});

describe('receiver: trace context inside the signed body', () => {
  const db = openDatabase(tmp());
  const events = new EventStore(db, clock);
  let server: Server;
  let base: string;
  beforeAll(async () => {
    ({ server, base } = await listenOnLoopback({
      keysFor: (node) => (node === 'onprem' ? keys : undefined),
      store: {
        webhookSeen: () => false,
        commitReceived: (_sender, _id, batch): ReceiveOutcome => {
          const out: ReceiveOutcome = { accepted: [], duplicates: [], rejected: [] };
          for (const o of events.insert(batch))
            (o.status === 'duplicate' ? out.duplicates : out.accepted).push(o.event.id);
          return out;
        },
      },
      clock,
      metrics: { refused: () => {}, received: () => {}, replayed: () => {} },
      onError: () => {},
    }));
  });
  afterAll(() => server.close());

  let n = 0;
  const cloudEvent = (trace: Record<string, unknown>) => ({
    ...toCloudEvent({
      id: `rx-${++n}`,
      group: 'edge',
      sourceNode: 'onprem',
      type: 'routerd.test.happened',
      payload: {},
      observedAt: '2026-11-27T06:00:00Z',
    }),
    ...trace,
  });
  async function post(body: string, signedBody = body) {
    const headers = {
      ...sign(keys, `b_${++n}`, clock.now() / 1000, Buffer.from(signedBody)),
      'routerd-node': 'onprem',
      'content-type': MEDIA_BATCH,
    };
    const res = await fetch(`${base}/v1/events`, { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('keeps a valid traceparent and tracestate', async () => {
    const ce = cloudEvent({ traceparent, tracestate: 'routerd=1111111111111111' });
    expect((await post(JSON.stringify([ce]))).body.accepted).toEqual([ce.id]);
    expect(events.lookup(ce.id)!.event).toMatchObject({
      traceparent,
      tracestate: 'routerd=1111111111111111',
    });
  });

  it.each([
    ['a malformed traceparent', { traceparent: '00-not-a-trace-01', tracestate: 'a=1' }, {}],
    ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }, {}],
    ['a traceparent that is not a string', { traceparent: 7 }, {}],
    [
      'a malformed tracestate (the traceparent kept)',
      { traceparent, tracestate: 'Bad State' },
      { traceparent },
    ],
  ])('accepts an event with %s and drops it, storing no trace of it', async (_name, trace, kept) => {
    const ce = cloudEvent(trace);
    const res = await post(JSON.stringify([ce]));
    expect(res).toMatchObject({ status: 200, body: { accepted: [ce.id], rejected: [] } });
    const stored = events.lookup(ce.id)!.event;
    expect({ traceparent: stored.traceparent, tracestate: stored.tracestate }).toEqual({
      traceparent: undefined,
      tracestate: undefined,
      ...kept,
    });
  });

  it('refuses a body whose traceparent was changed after signing: the signature covers it', async () => {
    const ce = cloudEvent({ traceparent });
    const signed = JSON.stringify([ce]);
    const tampered = signed.replace('00f067aa0ba902b7', '00f067aa0ba902b8');
    expect(tampered).not.toBe(signed);
    expect((await post(tampered, signed)).status).toBe(401);
    expect(events.lookup(ce.id)).toBeUndefined();
  });
});
