// The one retention mechanism: every table that grows with use has a rule in one table, one timer
// applies them all, the dry run counts what a prune removes, and a prune hands the event loop back
// between chunks. A real SQLite file, the real stores; time is a manual clock.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionPlan, Event, PluginResult } from '@routerd/plugin-sdk';
import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { DynamicConfig } from '../../src/dynamic/service.js';
import { NoObserveSet } from '../../src/events/no-observe.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { Retention } from '../../src/retention/service.js';
import { ActionJournal } from '../../src/store/action-journal.js';
import { openDatabase } from '../../src/store/database.js';
import { DeliveryStore } from '../../src/store/deliveries.js';
import { DynamicStore } from '../../src/store/dynamic-parts.js';
import { EventStore } from '../../src/store/events.js';
import { PluginRunStore } from '../../src/store/plugin-runs.js';
import {
  DERIVED_TABLES,
  LEDGERS,
  PRUNE_CHUNK,
  PRUNE_LISTED,
  RETENTION_DEFAULTS,
  type RetentionPlan,
  RetentionStore,
  SCAN_WINDOW,
} from '../../src/store/retention.js';
import { SubscriptionRunStore } from '../../src/store/subscription-runs.js';
import { tempDir } from '../../src/testing/index.js';

const T0 = Date.parse('2026-11-27T06:00:00Z');
const DAY = 24 * 3_600_000;

const CONFIG = `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec: { nodeName: onprem, maxEventTtl: 720h }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: cloud }
spec:
  groupRef: edge
  nodeName: cloud
  endpoint: http://127.0.0.1:9
  push: { types: ['routerd.*'] }
`;

interface World {
  db: Database;
  clock: ManualClock;
  metrics: Metrics;
  logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
  retention: Retention;
  events: EventStore;
  deliveries: DeliveryStore;
  subscriptionRuns: SubscriptionRunStore;
  pluginRuns: PluginRunStore;
  dynamic: DynamicConfig;
}
const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    await w.retention.stop();
    w.dynamic.stop();
    w.db.close();
  }
});

function world(everyMs?: number): World {
  const dir = tempDir('retention-');
  writeFileSync(join(dir, 'c.yaml'), CONFIG);
  const load = loadConfig([join(dir, 'c.yaml')]);
  if (!load.ok) throw new Error(JSON.stringify(load.issues));
  const clock = new ManualClock(T0);
  const db = openDatabase(join(dir, 'routerd.db'));
  const metrics = createMetrics();
  const logs: World['logs'] = [];
  const w: World = {
    db,
    clock,
    metrics,
    logs,
    retention: new Retention({
      db,
      config: () => load.config,
      clock,
      metrics,
      log: (level, msg, fields) => logs.push({ level, msg, fields }),
      everyMs,
    }),
    events: new EventStore(db, clock),
    deliveries: new DeliveryStore(db),
    subscriptionRuns: new SubscriptionRunStore(db),
    pluginRuns: new PluginRunStore(db),
    dynamic: new DynamicConfig({
      store: new DynamicStore(db),
      clock,
      noObserve: new NoObserveSet(),
      config: () => load.config,
      emit: () => {},
      log: () => {},
    }),
  };
  worlds.push(w);
  return w;
}

const rows = (db: Database, table: string) =>
  (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

const event = (id: string, at: number, ttlMs = 30 * DAY): Event => ({
  id,
  group: 'edge',
  sourceNode: 'onprem',
  type: 'routerd.client.ipv4.observed',
  observedAt: new Date(at).toISOString(),
  expiresAt: new Date(at + ttlMs).toISOString(),
  payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});

const plan = (key: string, address?: string): ActionPlan =>
  ({
    name: key,
    provider: 'aws',
    action: address ? 'assign-secondary-ip' : 'ensure-forwarding-enabled',
    mode: 'dry-run',
    idempotencyKey: key,
    riskLevel: 'low',
    target: { nicRef: 'eni-1', ...(address ? { address } : {}) },
    auth: { mode: 'instance-identity' },
    basedOn: [],
    preconditions: [],
    expectedEffects: [],
    steps: [
      {
        id: 's',
        tool: 'aws',
        argv: ['x'],
        mutating: true,
        outcomes: { alreadyDone: [], heldElsewhere: [], retry: [] },
      },
    ],
    ...(address
      ? {
          undo: {
            action: 'unassign-secondary-ip',
            steps: [
              {
                id: 'u',
                tool: 'aws',
                argv: ['y'],
                mutating: true,
                outcomes: { alreadyDone: [], heldElsewhere: [], retry: [] },
              },
            ],
          },
        }
      : {}),
  }) as ActionPlan;

const result = (at: number, status: Partial<PluginResult['status']>): PluginResult => ({
  apiVersion: 'plugin.routerd.net/v1alpha1',
  kind: 'PluginResult',
  metadata: {},
  status: { observedAt: new Date(at).toISOString(), ...status },
});

const runRecord = (n: number, at: number) => ({
  runId: `run-${n}`,
  plugin: 'p',
  trigger: 'manual' as const,
  subscription: null,
  topic: null,
  requestName: `r-${n}`,
  dryRun: false,
  startedAt: new Date(at).toISOString(),
  durationMs: 1,
  outcome: 'succeeded' as const,
  events: 0,
  errorCode: null,
  errorMessage: null,
  capability: null,
  exitCode: null,
  signal: null,
  stderrTail: null,
  leftBehind: null,
});

/** Fill every ledger with rows past their bound (at T0) and rows within it (8 days later). */
function fill(w: World) {
  // Events and their deliveries: one stored at T0 (beyond maxAge 168h by then), its delivery done.
  w.events.insert([event('old', T0)]);
  w.deliveries.enqueue('old', ['cloud'], T0, false);
  w.deliveries.markDelivered('cloud', ['old'], T0, 200);
  w.deliveries.recordWebhook('onprem', 'batch-old', T0);
  w.deliveries.recordAttempt('cloud', T0, true, 'healthy', 0);
  w.deliveries.recordAttempt('removed-peer', T0, true, 'healthy', 0);
  // A handled run-ledger row whose event is long gone.
  w.subscriptionRuns.admit('clients', 'vanished', T0);
  w.subscriptionRuns.markSucceeded('clients', ['vanished'], 'run-old', T0);
  w.pluginRuns.insert(runRecord(1, T0));
  // The action journal: a finished execution (goes), one still awaiting approval (a promise: stays).
  const journal = new ActionJournal(w.db);
  journal.submit({ id: 'ex-old', plan: plan('ex-old'), source: 't', mode: 'auto', state: 'approved' }, T0);
  journal.transition('ex-old', ['approved'], 'succeeded', T0);
  journal.submit(
    { id: 'ex-wait', plan: plan('ex-wait'), source: 't', mode: 'manual', state: 'awaiting-approval' },
    T0,
  );
  // A claim with its assign plan, and a plugin's other plans (its part is replaced by each run).
  const observed = event('obs', T0);
  w.dynamic.applyResult(
    { plugin: 'p' },
    [observed],
    result(T0, {
      ttl: '240h',
      resources: [
        {
          apiVersion: 'net.routerd.net/v1alpha1',
          kind: 'RemoteAddressClaim',
          metadata: { name: 'onprem-10-88-60-9' },
          spec: { address: '10.88.60.9/32', domain: 'lan', ownerNode: 'onprem' },
        },
      ],
      actionPlans: [plan('assign-9', '10.88.60.9/32'), plan('nic-plan-1')],
    }),
  );
  w.clock.set(T0 + 3_600_000);
  w.dynamic.applyResult(
    { plugin: 'p' },
    [],
    result(T0 + 3_600_000, { ttl: '240h', actionPlans: [plan('nic-plan-2')] }),
  );
  // The claim's grace (30 min after its observation) has passed: released, its teardown part announced.
  w.dynamic.releaseDue();

  w.clock.set(T0 + 8 * DAY);
  const now = w.clock.now();
  w.events.insert([event('new', now)]);
  w.deliveries.enqueue('new', ['cloud'], now, false);
  w.deliveries.recordWebhook('onprem', 'batch-new', now);
  w.subscriptionRuns.admit('clients', 'new', now);
  w.pluginRuns.insert(runRecord(2, now));
  journal.submit({ id: 'ex-new', plan: plan('ex-new'), source: 't', mode: 'auto', state: 'approved' }, now);
  journal.transition('ex-new', ['approved'], 'failed', now, { reason: 'r' });
  w.dynamic.applyResult({ plugin: 'p' }, [], result(now, { ttl: '240h', actionPlans: [plan('nic-plan-3')] }));
}

describe('one table of ledgers', () => {
  it('has a rule for every table the migrations create', () => {
    const w = world();
    const tables = (
      w.db
        .prepare(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'`,
        )
        .all() as { name: string }[]
    ).map((t) => t.name);
    expect(['events', ...LEDGERS.map((l) => l.table), ...DERIVED_TABLES].sort()).toEqual(tables.sort());
  });

  it('bounds every ledger; the dry run counts exactly what the prune removes', async () => {
    const w = world();
    fill(w);
    expect(rows(w.db, 'announced_plans')).toBe(4); // nic-plan-1, nic-plan-2, assign-9|undo, nic-plan-3
    const dry = await w.retention.plan();
    const counted = Object.fromEntries(w.retention.ledgers(dry).map((l) => [l.ledger, l.rows]));
    expect(counted).toEqual({
      events: 1,
      deliveries: 1,
      received_webhooks: 1,
      peer_state: 1,
      subscription_runs: 1,
      plugin_runs: 1,
      // The claim's released part, its expired teardown part; the plugin's own part is current.
      dynamic_parts: 2,
      address_claims: 1,
      // Plans of gone parts, and the plugin's plans its part no longer carries.
      announced_plans: 3,
      // The finished execution of 8 days ago; not the one awaiting approval, not the recent one.
      action_executions: 1,
    });
    const before = Object.fromEntries(Object.keys(counted).map((t) => [t, rows(w.db, t)]));
    const { rows: removed } = await w.retention.prune(dry);
    expect(removed).toEqual(counted);
    for (const [table, n] of Object.entries(counted))
      expect(rows(w.db, table), table).toBe(before[table]! - n);
    // What stays is what is still within its bound.
    expect(w.db.prepare('SELECT idempotency_key AS k FROM announced_plans').all()).toEqual([
      { k: 'nic-plan-3' },
    ]);
    expect(w.deliveries.peerStates().map((p) => p.peer)).toEqual(['cloud']);
    expect(w.dynamic.parts().map((p) => p.name)).toEqual(['plugin-p']);
    expect(w.retention.ledgers(await w.retention.plan()).every((l) => l.rows === 0)).toBe(true);
    expect(await w.metrics.pruned.get()).toMatchObject({
      values: expect.arrayContaining([{ labels: { table: 'announced_plans' }, value: 3 }]),
    });
  });

  it('bounds plugin runs by count and by age', async () => {
    const w = world();
    const max = RETENTION_DEFAULTS.pluginRunsMax;
    w.db.transaction(() => {
      for (let n = 1; n <= max + 250; n++) w.pluginRuns.insert(runRecord(n, T0 + n));
    })();
    expect((await w.retention.prune()).rows.plugin_runs).toBe(250);
    expect(w.pluginRuns.count()).toBe(max);
    expect(w.pluginRuns.list({ limit: 1 })[0]!.runId).toBe(`run-${max + 250}`);
    // Runs n started at T0 + n: those started less than maxAge ago are the newest 50.
    w.clock.set(T0 + RETENTION_DEFAULTS.ledgerMaxAgeMs + max + 201);
    await w.retention.prune();
    expect(w.pluginRuns.count()).toBe(50);
  });
});

describe('the prune', () => {
  it('hands the event loop back between chunks, and stop() ends it at a chunk boundary', async () => {
    const w = world();
    const total = 3 * PRUNE_CHUNK + 1;
    w.db.transaction(() => {
      for (let n = 1; n <= total; n++) w.pluginRuns.insert(runRecord(n, T0));
    })();
    w.clock.set(T0 + 8 * DAY);
    const pruning = w.retention.prune();
    // Something else gets the event loop while the prune is under way: it sees it part-done.
    let midway = total;
    for (let turn = 0; midway === total && turn < 100; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      midway = w.pluginRuns.count();
    }
    expect(midway).toBeGreaterThan(0);
    expect(midway).toBeLessThan(total);
    await w.retention.stop();
    const { rows: removed } = await pruning;
    expect(removed.plugin_runs).toBeLessThan(total);
    expect(w.pluginRuns.count()).toBe(total - removed.plugin_runs!);
  });

  it('reads what it will remove a page at a time, handing the event loop back in between', async () => {
    const w = world();
    const total = 2 * PRUNE_CHUNK + 1;
    w.events.insert(Array.from({ length: total }, (_, i) => event(`e-${i}`, T0)));
    w.clock.set(T0 + 8 * DAY); // past maxAge (168h)
    let planned = false;
    const planning = w.retention.plan().then((p) => {
      planned = true;
      return p;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(planned).toBe(false);
    const plan = await planning;
    expect(plan.events).toMatchObject({ total, byReason: { 'max-age': total }, undelivered: 0 });
    expect(plan.events.listed.map((e) => e.id)).toEqual(
      Array.from({ length: Math.min(total, PRUNE_LISTED) }, (_, i) => `e-${i}`),
    );
  });

  it('runs on one timer; a prune the store refuses is logged and tried again on the next tick', async () => {
    const w = world(60_000);
    w.pluginRuns.insert(runRecord(1, T0));
    w.clock.set(T0 + 8 * DAY);
    const diskFull = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const bounds = vi.spyOn(RetentionStore.prototype, 'bounds').mockImplementationOnce(() => {
      throw diskFull;
    });
    try {
      w.retention.start();
      w.clock.advance(0);
      await vi.waitFor(() =>
        expect(w.logs).toContainEqual({
          level: 'error',
          msg: 'retention prune failed: tried again later',
          fields: { err: 'database or disk is full', code: 'SQLITE_FULL' },
        }),
      );
      expect(w.pluginRuns.count()).toBe(1);
      await vi.waitFor(() => expect(w.clock.pending).toBe(1)); // re-armed
      w.clock.advance(60_000);
      await vi.waitFor(() => expect(w.pluginRuns.count()).toBe(0));
      expect(bounds).toHaveBeenCalledTimes(2);
    } finally {
      bounds.mockRestore();
    }
  });
});

describe('a ledger walk ends at the first row written since its bound', () => {
  /** `n` delivery rows for peer cloud, events `<prefix>-<i>`, written and delivered at `at`. */
  function delivered(w: World, prefix: string, n: number, at: number): string[] {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    w.deliveries.enqueueAll(
      ids.map((id, i) => ({ id, seq: i + 1, peers: ['cloud'], refreshed: false })),
      at,
    );
    w.deliveries.markDelivered('cloud', ids, at, 200);
    return ids;
  }
  /** The steps (windows and pages, each followed by a turn of the event loop) a dry run takes. */
  function dryRunSteps(w: World): number {
    const store = new RetentionStore(w.db);
    const plan: RetentionPlan = {
      cutoffs: w.retention.cutoffs(),
      bounds: { maxSeq: 0, lastExcess: {} },
      events: {
        total: 0,
        byReason: { expired: 0, 'max-age': 0, 'max-events': 0 },
        undelivered: 0,
        listed: [],
      },
      counts: {},
    };
    for (const _ of store.bounds(plan.cutoffs, plan.bounds));
    let steps = 0;
    for (const _ of store.count(plan)) steps++;
    return steps;
  }
  const remaining = (w: World) =>
    (w.db.prepare('SELECT event_id FROM deliveries ORDER BY rowid').pluck().all() as string[]).join(' ');

  it('reads no more of a week of delivery rows than of none (the 60 s timer at a million events)', async () => {
    const w = world();
    const empty = dryRunSteps(w);
    delivered(w, 'recent', 3 * SCAN_WINDOW + 1, T0);
    w.clock.set(T0 + DAY);
    expect(dryRunSteps(w)).toBe(empty);
    expect((await w.retention.plan()).counts.deliveries).toBe(0);
    // A week later every one of them is selected: the walk goes through all their windows.
    w.clock.set(T0 + 8 * DAY);
    expect(dryRunSteps(w)).toBeGreaterThan(empty + 3);
    expect((await w.retention.prune()).rows.deliveries).toBe(3 * SCAN_WINDOW + 1);
    expect(rows(w.db, 'deliveries')).toBe(0);
  });

  it('goes on past a row refreshed since (its first write is what counts, not its last enqueue)', async () => {
    const w = world();
    delivered(w, 'refreshed', 1, T0);
    delivered(w, 'done', 3, T0 + 3_600_000);
    // A TTL refresh 6 days later puts the first row back to pending and delivers it again.
    w.deliveries.enqueue('refreshed-0', ['cloud'], T0 + 6 * DAY, true, 1);
    w.deliveries.markDelivered('cloud', ['refreshed-0'], T0 + 6 * DAY, 200);
    w.clock.set(T0 + 8 * DAY);
    expect((await w.retention.prune()).rows.deliveries).toBe(3);
    expect(remaining(w)).toBe('refreshed-0');
  });

  it('goes on past a row dated later than now (written while the clock was ahead)', async () => {
    const w = world();
    delivered(w, 'ahead', 1, T0 + 400 * DAY);
    delivered(w, 'done', 3, T0);
    w.clock.set(T0 + 8 * DAY);
    expect((await w.retention.prune()).rows.deliveries).toBe(3);
    expect(remaining(w)).toBe('ahead-0');
  });

  it('goes on past rows written before their first write was recorded (an upgraded store)', async () => {
    const w = world();
    // As the daemon wrote rows before migration 61: no created_ms, which then reads 0.
    w.db
      .prepare(`INSERT INTO deliveries (event_seq, event_id, peer, status, attempts, next_attempt_ms, enqueued_ms, updated_ms)
        VALUES (1, 'upgraded', 'cloud', 'pending', 0, ?, ?, ?)`)
      .run(T0 + 7 * DAY, T0 + 7 * DAY, T0 + 7 * DAY);
    delivered(w, 'done', 3, T0);
    w.clock.set(T0 + 8 * DAY);
    expect((await w.retention.prune()).rows.deliveries).toBe(3);
    expect(remaining(w)).toBe('upgraded');
  });

  it('stops for the replay ledger and the run ledgers too, and still removes what they select', async () => {
    const w = world();
    const empty = dryRunSteps(w);
    w.db.transaction(() => {
      for (let i = 0; i <= SCAN_WINDOW; i++) {
        w.deliveries.recordWebhook('onprem', `batch-${i}`, T0);
        w.subscriptionRuns.admit('clients', `gone-${i}`, T0);
      }
      const handled = Array.from({ length: SCAN_WINDOW + 1 }, (_, i) => `gone-${i}`);
      w.subscriptionRuns.markSucceeded('clients', handled, 'run-1', T0);
    })();
    w.clock.set(T0 + 60_000);
    expect(dryRunSteps(w)).toBe(empty);
    w.clock.set(T0 + 8 * DAY);
    const { rows: removed } = await w.retention.prune();
    expect(removed).toMatchObject({ received_webhooks: SCAN_WINDOW + 1, subscription_runs: SCAN_WINDOW + 1 });
  });
});
