// The stores map their private rows into @routerd/host-wire's records, and what they hand the control API
// passes the very schemas routerctl reads it with: real SQLite, every nullable column both ways.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API_VERSION_CONFIG,
  DeliveriesQuery,
  Delivery,
  type DynamicConfigPart,
  DynamicConfigPart as DynamicConfigPartSchema,
  PeerRecord,
  PeerSummary,
  SubscriptionRun,
  SubscriptionRunsQuery,
} from '@routerd/host-wire';
import { type Event, isArkErrors } from '@routerd/plugin-sdk';
import type { Type } from 'arktype';
import { expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openDatabase } from '../../src/store/database.js';
import { DeliveryStore } from '../../src/store/deliveries.js';
import { DynamicStore } from '../../src/store/dynamic-parts.js';
import { EventStore } from '../../src/store/events.js';
import { SubscriptionRunStore } from '../../src/store/subscription-runs.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function fresh() {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'routerd-wire-')), 'routerd.db'));
  const clock = new ManualClock(T0);
  return { db, clock, events: new EventStore(db, clock) };
}

const event = (id: string): Event => ({
  id,
  group: 'lab',
  sourceNode: 'onprem-1',
  type: 'acme.thing.seen',
  payload: { n: 1 },
  observedAt: iso(T0),
  expiresAt: iso(T0 + 3_600_000),
});

/** The value checked by the schema: the schema's own summary when it refuses, so a failure names the field. */
function conforms<T>(schema: Type<T>, value: unknown): unknown {
  const out = schema(value);
  return isArkErrors(out) ? out.summary : 'conforms';
}

it('deliveries, peer summaries and recorded peer states are the wire records', () => {
  const { db, events } = fresh();
  const deliveries = new DeliveryStore(db);
  events.insert([event('e1'), event('e2')]);
  deliveries.enqueue('e1', ['cloud', 'edge'], T0, false);
  deliveries.enqueue('e2', ['cloud'], T0, false);
  deliveries.markDelivered('cloud', ['e1'], T0 + 2000, 202);
  deliveries.markRetry('edge', ['e1'], T0 + 1000, T0 + 61_000, 'ECONNREFUSED', 503);
  deliveries.markFailed('cloud', ['e2'], T0 + 1000, 'refused: 400');
  deliveries.recordAttempt('cloud', T0 + 2000, true, 'healthy', 0);
  deliveries.recordAttempt('edge', T0 + 1000, false, 'backing-off', 1, 'ECONNREFUSED');

  const query = DeliveriesQuery({ limit: '10' });
  if (isArkErrors(query)) throw new Error(query.summary);
  const listed = deliveries.list(query);
  expect(listed.map((d) => `${d.eventId}→${d.peer}:${d.status}`).sort()).toEqual([
    'e1→cloud:delivered',
    'e1→edge:pending',
    'e2→cloud:failed',
  ]);
  expect(conforms(Delivery.array(), listed)).toBe('conforms');
  expect(conforms(PeerSummary.array(), deliveries.summary(['cloud', 'edge', 'quiet'], T0 + 3000))).toBe(
    'conforms',
  );
  const recorded = deliveries.peerStates();
  expect(recorded.map((p) => [p.peer, p.state, p.lastError])).toEqual([
    ['cloud', 'healthy', null],
    ['edge', 'backing-off', 'ECONNREFUSED'],
  ]);
  expect(conforms(PeerRecord.array(), recorded)).toBe('conforms');
});

it('subscription runs are the wire records, in every status', () => {
  const { db } = fresh();
  const runs = new SubscriptionRunStore(db);
  runs.admitAll('clients', ['e1', 'e2', 'e3'], T0);
  runs.markRunning('clients', ['e1', 'e2'], 'run-1', T0 + 10);
  runs.markSucceeded('clients', ['e1'], 'run-1', T0 + 20);
  runs.markFailed(
    'clients',
    ['e2'],
    'run-1',
    { error: 'plugin exited 1', nextAttemptMs: T0 + 60_000 },
    T0 + 20,
  );

  const query = SubscriptionRunsQuery({ subscription: 'clients' });
  if (isArkErrors(query)) throw new Error(query.summary);
  const listed = runs.list(query);
  expect(listed.map((r) => `${r.eventId}:${r.status}`).sort()).toEqual([
    'e1:succeeded',
    'e2:failed',
    'e3:pending',
  ]);
  expect(listed.find((r) => r.status === 'failed')?.nextAttemptAt).toBe(iso(T0 + 60_000));
  expect(conforms(SubscriptionRun.array(), listed)).toBe('conforms');
});

it('a stored DynamicConfigPart comes back as the DynamicConfigPart schema says', () => {
  const { db } = fresh();
  const store = new DynamicStore(db);
  const part: DynamicConfigPart = {
    apiVersion: API_VERSION_CONFIG,
    kind: 'DynamicConfigPart',
    metadata: { name: 'clients-10-88-60-9' },
    spec: {
      source: 'EventSubscription/clients',
      generation: 1,
      observedAt: iso(T0),
      expiresAt: iso(T0 + 300_000),
      digest: 'd1',
      resources: [
        {
          apiVersion: 'net.routerd.net/v1alpha1',
          kind: 'RemoteAddressClaim',
          metadata: { name: 'onprem-10-88-60-9' },
          spec: { address: '10.88.60.9/32', domain: 'lan', ownerNode: 'onprem-1' },
        },
      ],
      directives: [],
      actionPlans: [],
    },
  };
  store.upsertPart(part, T0 + 300_000, T0);
  store.setPartExpiry(part.metadata.name, T0 + 600_000, T0 + 1);
  const body = store.part(part.metadata.name)?.body;
  expect(body?.spec.expiresAt).toBe(iso(T0 + 600_000));
  expect(conforms(DynamicConfigPartSchema, body)).toBe('conforms');
});
