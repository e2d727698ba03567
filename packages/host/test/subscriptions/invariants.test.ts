// Subscriptions → plugin → DynamicConfigParts, with the ADR's invariants, on a manual clock: a real
// SQLite store, and a real plugin speaking the protocol in-process (the SDK's test host), so runs are
// genuine plugin/run exchanges; only time is simulated.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ActionPlan, type Event, hostAddress, MAX_EVENT_BYTES } from '@routerd/plugin-sdk';
import { definePlugin } from '@routerd/plugin-sdk/server';
import { createTestHost, makeRequest, type TestHost } from '@routerd/plugin-sdk/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { type FederationConfig, loadConfig } from '../../src/config/index.js';
import { DynamicConfig } from '../../src/dynamic/service.js';
import { EmitPipeline, EmitRefused } from '../../src/events/emit.js';
import { capturedByConfig, NoObserveSet } from '../../src/events/no-observe.js';
import { openDatabase } from '../../src/store/database.js';
import { DynamicStore } from '../../src/store/dynamic-parts.js';
import { EventStore } from '../../src/store/events.js';
import { SubscriptionRunStore } from '../../src/store/subscription-runs.js';
import {
  type PluginRunner,
  RUNNING_MARK_AFTER_MS,
  SubscriptionEngine,
} from '../../src/subscriptions/engine.js';

const T0 = Date.parse('2026-11-27T06:00:00Z');

/** Claims + assign plan for each observed address, an unassign plan for each expired one. */
function planFor(action: ActionPlan['action'], address: string, eventId: string): ActionPlan {
  const ip = hostAddress(address);
  const argv = (verb: string) => [
    'ec2',
    verb,
    '--network-interface-id',
    'eni-1',
    '--private-ip-addresses',
    ip,
  ];
  const step = (verb: string) => ({
    id: verb,
    tool: 'aws',
    argv: argv(verb),
    mutating: true,
    outcomes: { alreadyDone: [], heldElsewhere: [], retry: [] },
  });
  return {
    name: `${action}-${ip}`,
    provider: 'aws',
    action,
    mode: 'dry-run',
    idempotencyKey: `aws|${action}|eni-1|${ip}`,
    riskLevel: 'low',
    target: { nicRef: 'eni-1', address: `${ip}/32` },
    auth: { mode: 'instance-identity' },
    basedOn: [{ eventId }],
    preconditions: [],
    expectedEffects: [],
    steps: [
      step(
        action === 'assign-secondary-ip' ? 'assign-private-ip-addresses' : 'unassign-private-ip-addresses',
      ),
    ],
    undo:
      action === 'assign-secondary-ip'
        ? { action: 'unassign-secondary-ip', steps: [step('unassign-private-ip-addresses')] }
        : undefined,
  };
}

let failNext = 0;
let ownerOverride: string | undefined;
const claimsPlugin = definePlugin({
  name: 'claims',
  version: '1.0.0',
  capabilities: ['propose.dynamicConfig', 'propose.providerAction'],
  run(request) {
    if (failNext > 0) {
      failNext--;
      throw new Error('provider metadata unreachable');
    }
    const resources = [];
    const actionPlans: ActionPlan[] = [];
    for (const e of request.spec.events) {
      const { address, domain } = e.payload as { address: string; domain: string };
      if (e.type.endsWith('.observed')) {
        resources.push({
          apiVersion: 'net.routerd.net/v1alpha1',
          kind: 'RemoteAddressClaim',
          metadata: { name: `onprem-${hostAddress(address).replaceAll('.', '-')}` },
          spec: { address, domain, ownerNode: ownerOverride ?? e.sourceNode },
        });
        actionPlans.push(planFor('assign-secondary-ip', address, e.id));
      } else actionPlans.push(planFor('unassign-secondary-ip', address, e.id));
    }
    // A NIC-wide plan with no address (as the provider plugins propose): announced like any other.
    if (resources.length) {
      const { target: _t, ...rest } = planFor('assign-secondary-ip', '0.0.0.0/32', 'x');
      actionPlans.push({
        ...rest,
        name: 'forwarding-eni-1',
        action: 'ensure-forwarding-enabled',
        idempotencyKey: 'aws|ensure-forwarding-enabled|eni-1',
        target: { nicRef: 'eni-1' },
        undo: undefined,
      });
    }
    return { ttl: '300s', resources, actionPlans };
  },
});

const CONFIG = `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec: { nodeName: cloud }
---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: claims }
spec: { executable: /usr/bin/true, capabilities: [propose.dynamicConfig, propose.providerAction] }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: onprem-clients }
spec:
  groupRef: edge
  match: { types: ['routerd.client.ipv4.*'], sourceNodes: [onprem, other] }
  trigger: { pluginRef: claims }
  retry: { baseDelay: 10s, maxDelay: 1m }
  teardown: { grace: 30m, observationTTL: 300s }
`;

interface World {
  clock: ManualClock;
  store: EventStore;
  pipeline: EmitPipeline;
  dynamic: DynamicConfig;
  dynamicStore: DynamicStore;
  engine: SubscriptionEngine;
  runs: SubscriptionRunStore;
  host: TestHost;
  pluginRuns: number;
  /** While set, each plugin run waits for it before the plugin is asked (a slow plugin). */
  gate?: Promise<void>;
  logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
  engineLogs: { level: string; msg: string; fields?: Record<string, unknown> }[];
}
const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    await w.engine.stop();
    w.dynamic.stop();
    await w.host.close();
  }
  failNext = 0;
  ownerOverride = undefined;
});

async function world(configText = CONFIG): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'invariants-'));
  writeFileSync(join(dir, 'c.yaml'), configText);
  const load = loadConfig([join(dir, 'c.yaml')]);
  if (!load.ok) throw new Error(JSON.stringify(load.issues));
  const config: FederationConfig = load.config;
  const clock = new ManualClock(T0);
  const db = openDatabase(join(dir, 'routerd.db'));
  const store = new EventStore(db, clock);
  const noObserve = new NoObserveSet();
  noObserve.replace('config', capturedByConfig(config));
  const pipeline = new EmitPipeline({ store, clock, noObserve, config: () => config });
  const logs: World['logs'] = [];
  const dynamicStore = new DynamicStore(db);
  const dynamic = new DynamicConfig({
    store: dynamicStore,
    clock,
    noObserve,
    config: () => config,
    emit: (drafts) => pipeline.emitBatch(drafts),
    log: (level, msg, fields) => logs.push({ level, msg, fields }),
  });
  const host: TestHost = await createTestHost(claimsPlugin, {
    granted: ['propose.dynamicConfig', 'propose.providerAction'],
  });
  const engineLogs: World['engineLogs'] = [];
  const w = { clock, store, pipeline, dynamic, dynamicStore, host, pluginRuns: 0, logs, engineLogs } as World;
  let runs = 0;
  const runner: PluginRunner = {
    newRunId: () => `r${++runs}`,
    run: async (_name, input, { runId }) => {
      w.pluginRuns++;
      await w.gate;
      try {
        const result = await host.run(
          makeRequest({ events: input.events, trigger: input.trigger, now: new Date(clock.now()) }),
        );
        return { runId, outcome: 'succeeded', result };
      } catch (err) {
        return {
          runId,
          outcome: 'failed',
          error: { code: (err as { code?: string }).code ?? 'ERR', message: (err as Error).message },
        };
      }
    },
  };
  w.runs = new SubscriptionRunStore(db);
  w.engine = new SubscriptionEngine({
    events: store,
    runs: w.runs,
    plugins: runner,
    apply: (s, e, r) => dynamic.applyResult({ subscription: s }, e, r),
    onRefresh: (s, e) => dynamic.noteRefresh(s, e),
    clock,
    log: (level, msg, fields) => w.engineLogs.push({ level, msg, fields }),
  });
  w.engine.apply(config);
  dynamic.start();
  worlds.push(w);
  return w;
}

let seq = 0;
function receive(
  w: World,
  type: 'observed' | 'expired',
  address = '10.88.60.9',
  sourceNode = 'onprem',
  domain = 'lan',
): Event {
  const event: Event = {
    id: `e-${++seq}`,
    group: 'edge',
    sourceNode,
    type: `routerd.client.ipv4.${type}`,
    payload: { address: `${address}/32`, domain, ownerSide: 'onprem', source: 'arp' },
    observedAt: new Date(w.clock.now()).toISOString(),
    expiresAt: new Date(w.clock.now() + 300_000).toISOString(),
  };
  w.store.insert([event]);
  return event;
}

/** Let batches fire and runs finish, then move time on by `ms`. */
async function settle(w: World, ms = 0) {
  w.clock.advance(0);
  await w.engine.idle();
  if (ms) {
    w.clock.advance(ms);
    await w.engine.idle();
  }
}

const planned = (w: World, action: string) =>
  w.store
    .list({ type: 'routerd.provider.action.planned', limit: 1000, includeExpired: true })
    .filter((e) => e.payload.action === action);
const claims = (w: World) => w.dynamic.render().resources.filter((r) => r.kind === 'RemoteAddressClaim');

describe('prompt provision', () => {
  it('an observed address becomes a claim named onprem-10-88-60-9 with its assign plan, at once', async () => {
    const w = await world();
    const ev = receive(w, 'observed');
    await settle(w);
    const [claim] = claims(w);
    expect(claim?.metadata.name).toBe('onprem-10-88-60-9');
    expect(claim?.metadata.annotations).toEqual({
      'routerd.net/dynamic-source': 'EventSubscription/onprem-clients',
      'routerd.net/event-group': 'edge',
      'routerd.net/event-ids': ev.id,
    });
    expect(
      w.dynamic
        .actionPlans()
        .map((p) => p.plan.action)
        .sort(),
    ).toEqual(['assign-secondary-ip', 'ensure-forwarding-enabled']);
    expect(planned(w, 'assign-secondary-ip')).toHaveLength(1);
    expect(planned(w, 'ensure-forwarding-enabled')).toHaveLength(1);
    const acks = w.store.list({ type: 'routerd.dynamic.part.accepted' });
    expect(acks.map((a) => a.payload.part).sort()).toEqual([
      'onprem-clients-10-88-60-9',
      expect.stringMatching(/^onprem-clients-[0-9a-f]{12}$/),
    ]);
    expect(acks.find((a) => a.payload.part === 'onprem-clients-10-88-60-9')?.payload).toMatchObject({
      part: 'onprem-clients-10-88-60-9',
      source: 'EventSubscription/onprem-clients',
      eventIds: [ev.id],
      generation: 1,
    });
  });
});

describe('acknowledgements', () => {
  it('each claim names its own events; a batch too large to name in one event is counted, and every part is still acknowledged', async () => {
    const w = await world(
      CONFIG.replace('trigger: { pluginRef: claims }', 'trigger: { pluginRef: claims, maxBatch: 1000 }'),
    );
    // 700 ids of 100 characters: naming them all would take ~72 KB, over the 64 KiB an event may hold.
    const id = (i: number) => `obs-${String(i).padStart(4, '0')}-${'x'.repeat(91)}`;
    const address = (i: number) => `10.88.${61 + (i >> 8)}.${i & 255}/32`;
    w.store.insert(
      Array.from({ length: 700 }, (_, i) => ({
        id: id(i),
        group: 'edge',
        sourceNode: 'onprem',
        type: 'routerd.client.ipv4.observed',
        payload: { address: address(i), domain: 'lan', ownerSide: 'onprem', source: 'arp' },
        observedAt: new Date(w.clock.now()).toISOString(),
        expiresAt: new Date(w.clock.now() + 300_000).toISOString(),
      })),
    );
    await settle(w);
    expect(w.pluginRuns).toBe(1);
    expect(w.runs.list({ limit: 1000 }).filter((r) => r.status === 'succeeded')).toHaveLength(700);
    const acks = w.store.list({ type: 'routerd.dynamic.part.accepted', limit: 1000 });
    expect(acks).toHaveLength(701); // 700 claims and the part of the NIC-wide plan
    const claimAck = acks.find((a) => a.subject === 'onprem-clients-10-88-61-7');
    expect(claimAck?.payload).toMatchObject({ eventIds: [id(7)] });
    expect(claimAck?.payload).not.toHaveProperty('eventIdsOmitted');
    const [rest] = acks.filter((a) => !/-10-88-/.test(a.subject ?? ''));
    const { eventIds, eventIdsOmitted } = rest!.payload as { eventIds: string[]; eventIdsOmitted: number };
    expect(eventIdsOmitted).toBeGreaterThan(0);
    expect(eventIds.length + eventIdsOmitted).toBe(700);
    expect(eventIds).toEqual(Array.from({ length: eventIds.length }, (_, i) => id(i))); // sorted, the first kept
    expect(Buffer.byteLength(JSON.stringify(rest))).toBeLessThan(MAX_EVENT_BYTES);
    expect(planned(w, 'assign-secondary-ip')).toHaveLength(700);
    expect(claims(w)[0]?.metadata.annotations?.['routerd.net/event-ids']).toMatch(/^obs-\d{4}-x+$/);
  });
});

describe('hysteretic de-provision', () => {
  it('a client flapping every 10 s for 10 minutes yields one claim, one assign plan and no unassign plan', async () => {
    const w = await world();
    for (let t = 0; t < 60; t++) {
      receive(w, t % 2 === 0 ? 'observed' : 'expired');
      await settle(w, 10_000);
      expect(claims(w)).toHaveLength(1);
    }
    expect(planned(w, 'assign-secondary-ip')).toHaveLength(1);
    expect(planned(w, 'unassign-secondary-ip')).toHaveLength(0);
    expect(
      w.dynamic
        .actionPlans()
        .map((p) => p.plan.action)
        .sort(),
    ).toEqual(['assign-secondary-ip', 'ensure-forwarding-enabled']);
    expect(w.runs.list({ limit: 1000 }).filter((r) => r.status !== 'succeeded')).toEqual([]);
  });

  it('a client that leaves for good yields exactly one unassign plan, no earlier than the grace after its last observation', async () => {
    const w = await world();
    const last = receive(w, 'observed');
    await settle(w, 10_000);
    receive(w, 'expired');
    await settle(w);
    const lastObservedMs = Date.parse(last.observedAt);
    await settle(w, lastObservedMs + 30 * 60_000 - w.clock.now() - 1);
    expect(planned(w, 'unassign-secondary-ip')).toHaveLength(0);
    expect(claims(w)).toHaveLength(1);
    await settle(w, 1);
    expect(claims(w)).toHaveLength(0);
    const unassign = planned(w, 'unassign-secondary-ip');
    expect(unassign).toHaveLength(1);
    expect(Date.parse(unassign[0]!.observedAt) - lastObservedMs).toBeGreaterThanOrEqual(30 * 60_000);
    expect(
      w.dynamic
        .actionPlans()
        .map((p) => p.plan.action)
        .sort(),
    ).toEqual(['ensure-forwarding-enabled', 'unassign-secondary-ip']);
    await settle(w, 3_600_000);
    expect(planned(w, 'unassign-secondary-ip')).toHaveLength(1);
  });

  it('TTL refreshes of the same observation (same id) count as re-observations: a long stay is not cut short', async () => {
    const w = await world();
    const ev = receive(w, 'observed');
    await settle(w);
    // The observer refreshes the same event every 2 minutes for an hour (same id, later expiry).
    for (let i = 1; i <= 30; i++) {
      await settle(w, 120_000);
      expect(
        w.store.insert([{ ...ev, expiresAt: new Date(w.clock.now() + 300_000).toISOString() }])[0]?.status,
      ).toBe('refreshed');
    }
    await settle(w);
    expect(w.pluginRuns).toBe(1);
    const lastRefresh = w.clock.now();
    receive(w, 'expired');
    await settle(w, 29 * 60_000);
    expect(claims(w)).toHaveLength(1);
    await settle(w, lastRefresh + 30 * 60_000 - w.clock.now());
    expect(claims(w)).toHaveLength(0);
    expect(planned(w, 'unassign-secondary-ip')).toHaveLength(1);
  });

  it('silence alone (no expired event) also releases only after the grace', async () => {
    const w = await world();
    receive(w, 'observed');
    await settle(w, 29 * 60_000);
    expect(claims(w)).toHaveLength(1);
    await settle(w, 60_000);
    expect(claims(w)).toHaveLength(0);
    // Without an explicit teardown plan, the assign plan's undo becomes the unassign plan.
    expect(planned(w, 'unassign-secondary-ip')).toHaveLength(1);
  });

  it('a release the store refuses (a full disk) is logged and tried again; it still happens exactly once', async () => {
    const w = await world();
    receive(w, 'observed');
    await settle(w);
    const save = vi.spyOn(DynamicStore.prototype, 'saveClaim').mockImplementationOnce(() => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    try {
      await settle(w, 30 * 60_000);
      // Refused: no teardown plan yet, and nothing half-written that a retry would duplicate.
      expect(planned(w, 'unassign-secondary-ip')).toHaveLength(0);
      expect(w.logs).toContainEqual({
        level: 'error',
        msg: 'releasing claims after their grace failed: tried again later',
        fields: { err: 'database or disk is full', code: 'SQLITE_FULL' },
      });
      await settle(w, 5_000);
      expect(claims(w)).toHaveLength(0);
      expect(planned(w, 'unassign-secondary-ip')).toHaveLength(1);
      await settle(w, 3_600_000);
      expect(planned(w, 'unassign-secondary-ip')).toHaveLength(1);
    } finally {
      save.mockRestore();
    }
  });
});

describe('a store that refuses writes', () => {
  it('a run that crashes because nothing can be recorded is queued again after a backoff, not left until a restart', async () => {
    const w = await world();
    const runs = vi.spyOn(SubscriptionRunStore.prototype, 'markSucceeded').mockImplementationOnce(() => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    try {
      const { id } = receive(w, 'observed');
      await settle(w);
      // The result was applied, but the ledger does not say so: the event is still to be handled.
      expect(w.pluginRuns).toBe(1);
      expect(w.runs.status('onprem-clients', id)).toBe('pending');
      const crash = w.engineLogs.find(
        (l) => l.msg === 'subscription run crashed: its events are queued again',
      );
      expect(crash?.fields).toMatchObject({ subscription: 'onprem-clients', retryInMs: expect.any(Number) });
      await settle(w, (crash!.fields!.retryInMs as number) + 1);
      // Run again, and applied again to the same claim: at least once, idempotent.
      expect(w.pluginRuns).toBe(2);
      expect(w.runs.status('onprem-clients', id)).toBe('succeeded');
      expect(claims(w).map((c) => c.metadata.name)).toEqual(['onprem-10-88-60-9']);
    } finally {
      runs.mockRestore();
    }
  });
});

describe('the run ledger while a plugin works', () => {
  const row = (w: World) => w.runs.list({ subscription: 'onprem-clients', limit: 10 })[0]!;
  /** A plugin that answers only once released. */
  const slowPlugin = (w: World) => {
    let release!: () => void;
    w.gate = new Promise((r) => {
      release = r;
    });
    return () => release();
  };
  /** Until the engine has asked the plugin (its mark timer is set in the same turn). */
  const asked = async (w: World) => {
    w.clock.advance(0);
    for (let i = 0; i < 100 && w.pluginRuns === 0; i++) await Promise.resolve();
    expect(w.pluginRuns).toBe(1);
  };

  it('a quick run goes from pending to succeeded in one commit: it is never marked running', async () => {
    const w = await world();
    const marks = vi.spyOn(SubscriptionRunStore.prototype, 'markRunning');
    try {
      receive(w, 'observed');
      await settle(w);
      expect(marks).not.toHaveBeenCalled();
      expect(row(w)).toMatchObject({ status: 'succeeded', attempts: 1, lastRunId: 'r1' });
      // The timer that would have marked it is gone with the run.
      await settle(w, RUNNING_MARK_AFTER_MS * 10);
      expect(marks).not.toHaveBeenCalled();
    } finally {
      marks.mockRestore();
    }
  });

  it('a run still going after RUNNING_MARK_AFTER_MS shows as running, and the run counts once', async () => {
    const w = await world();
    const release = slowPlugin(w);
    try {
      receive(w, 'observed');
      await asked(w);
      expect(row(w)).toMatchObject({ status: 'pending', attempts: 0 });
      w.clock.advance(RUNNING_MARK_AFTER_MS - 1);
      expect(row(w).status).toBe('pending');
      w.clock.advance(1);
      expect(row(w)).toMatchObject({ status: 'running', attempts: 1, lastRunId: 'r1' });
    } finally {
      release();
    }
    await settle(w);
    expect(row(w)).toMatchObject({ status: 'succeeded', attempts: 1, lastRunId: 'r1' });
    expect(claims(w).map((c) => c.metadata.name)).toEqual(['onprem-10-88-60-9']);
  });

  it('a running mark the store refuses is logged; the run goes on and its outcome is recorded', async () => {
    const w = await world();
    const marks = vi.spyOn(SubscriptionRunStore.prototype, 'markRunning').mockImplementationOnce(() => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    const release = slowPlugin(w);
    try {
      receive(w, 'observed');
      await asked(w);
      w.clock.advance(RUNNING_MARK_AFTER_MS);
      expect(w.engineLogs).toContainEqual({
        level: 'warn',
        msg: 'could not mark a subscription run as running',
        fields: { subscription: 'onprem-clients', error: 'Error: database or disk is full' },
      });
      release();
      await settle(w);
      expect(row(w)).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(w.pluginRuns).toBe(1);
    } finally {
      release();
      marks.mockRestore();
    }
  });
});

describe('a plugin whose every interval tick is refused', () => {
  const claimOnly = (address: string) =>
    ({
      apiVersion: 'plugin.routerd.net/v1alpha1',
      kind: 'PluginResult',
      metadata: { name: 'claims', requestId: 'r' },
      status: {
        resources: [
          {
            apiVersion: 'net.routerd.net/v1alpha1',
            kind: 'RemoteAddressClaim',
            metadata: { name: `onprem-${address.replaceAll('.', '-')}` },
            spec: { address: `${address}/32`, domain: 'lan', ownerNode: 'onprem' },
          },
        ],
      },
    }) as never;
  const rejected = (w: World) =>
    w.store.list({ type: 'routerd.dynamic.part.rejected', limit: 1000, includeExpired: true });

  it('says it once an hour (the .rejected event and the log line); another refusal, and a manual run, are said each time', async () => {
    const w = await world();
    const tick = (address = '10.88.60.9', trigger: 'interval' | 'manual' = 'interval') =>
      w.dynamic.applyResult({ plugin: 'claims', trigger }, [], claimOnly(address));
    // Every second for ten minutes: refused each time (an interval run cannot claim), said once.
    for (let i = 0; i < 600; i++) {
      expect(tick().rejected?.reason).toMatch(/no event given to this run observed it/);
      w.clock.advance(1000);
    }
    expect(rejected(w)).toHaveLength(1);
    expect(w.logs.filter((l) => l.msg === 'result rejected')).toHaveLength(1);
    // Another refusal is news; a manual run is the operator asking: both are said.
    tick('10.88.60.10');
    tick('10.88.60.9', 'manual');
    expect(rejected(w)).toHaveLength(3);
    // Once the first .rejected has expired (1h), the same refusal is said again.
    w.clock.advance(60 * 60_000);
    tick();
    expect(rejected(w)).toHaveLength(4);
    expect(w.logs.filter((l) => l.msg === 'result rejected')).toHaveLength(4);
  });
});

describe('single writer per (domain, address)', () => {
  it('refuses another owner while a claim is held, naming the holder', async () => {
    const w = await world();
    receive(w, 'observed', '10.88.60.9', 'onprem');
    await settle(w);
    receive(w, 'observed', '10.88.60.9', 'other');
    await settle(w);
    const rejected = w.store.list({ type: 'routerd.dynamic.part.rejected' });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.payload).toMatchObject({ holder: 'onprem' });
    expect(String(rejected[0]?.payload.reason)).toMatch(/already claimed by onprem/);
    expect(claims(w).map((c) => c.spec?.ownerNode)).toEqual(['onprem']);
  });

  it('a part holds one (domain, address): the same address in another domain is refused while held, and cannot release the first', async () => {
    const w = await world();
    receive(w, 'observed', '10.88.60.9', 'onprem', 'lan');
    await settle(w);
    // Another routing domain of the same router (or another router) uses the same address.
    receive(w, 'observed', '10.88.60.9', 'other', 'guest');
    await settle(w);
    const rejected = w.store.list({ type: 'routerd.dynamic.part.rejected' });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.payload).toMatchObject({ holder: 'onprem' });
    expect(String(rejected[0]?.payload.reason)).toBe(
      '10.88.60.9/32 in guest would be held by part onprem-clients-10-88-60-9, which holds 10.88.60.9/32 in lan for onprem (a part holds one claim): the claim is refused while that one is held',
    );
    expect(claims(w).map((c) => [c.spec?.domain, c.spec?.ownerNode])).toEqual([['lan', 'onprem']]);
    expect(w.dynamicStore.claim('guest', '10.88.60.9/32')).toBeUndefined();
    // lan's client leaves: its claim is released after the grace, and nothing of guest's is left held.
    receive(w, 'expired', '10.88.60.9', 'onprem', 'lan');
    await settle(w, 30 * 60_000);
    expect(claims(w)).toEqual([]);
    // Once lan's claim is released, guest's next observation is claimed through the same part.
    receive(w, 'observed', '10.88.60.9', 'other', 'guest');
    await settle(w);
    expect(claims(w).map((c) => [c.spec?.domain, c.spec?.ownerNode])).toEqual([['guest', 'other']]);
  });

  it('refuses a claim whose owner is not the node that observed the address', async () => {
    const w = await world();
    ownerOverride = 'somebody-else';
    receive(w, 'observed');
    await settle(w);
    expect(claims(w)).toHaveLength(0);
    expect(String(w.store.list({ type: 'routerd.dynamic.part.rejected' })[0]?.payload.reason)).toMatch(
      /only the observing side may own/,
    );
  });

  it('an .expired from a node that does not own the address does not steer the owner’s teardown', async () => {
    const w = await world();
    const ev = receive(w, 'observed', '10.88.60.9', 'onprem');
    await settle(w);
    receive(w, 'expired', '10.88.60.9', 'other');
    await settle(w, 30 * 60_000);
    // Released by silence after the grace, with the owner's own undo — not the plan the other node's run proposed.
    const teardown = w.dynamic.actionPlans().filter((p) => p.plan.action === 'unassign-secondary-ip');
    expect(teardown.map((p) => p.plan.basedOn)).toEqual([[{ eventId: ev.id }]]);
  });
});

describe('no feedback loop', () => {
  it('an address this node captures through a claim cannot be observed here', async () => {
    const w = await world();
    receive(w, 'observed');
    await settle(w);
    expect(() =>
      w.pipeline.emit({
        type: 'routerd.client.ipv4.observed',
        ttl: '300s',
        payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'cloud', source: 'arp' },
      }),
    ).toThrow(EmitRefused);
  });

  it('follows every claim taken by a later run and every release, whatever the runs between them held', async () => {
    const w = await world();
    const observe = (address: string) => () =>
      w.pipeline.emit({
        type: 'routerd.client.ipv4.observed',
        ttl: '300s',
        payload: { address: `${address}/32`, domain: 'lan', ownerSide: 'cloud', source: 'arp' },
      });
    receive(w, 'observed', '10.88.60.9');
    await settle(w);
    receive(w, 'observed', '10.88.60.9'); // a run that only holds what is held already
    await settle(w, 60_000);
    receive(w, 'observed', '10.88.60.10'); // a later run's new claim
    await settle(w);
    expect(observe('10.88.60.9')).toThrow(EmitRefused);
    expect(observe('10.88.60.10')).toThrow(EmitRefused);
    expect(observe('10.88.60.11')).not.toThrow();
    // Both released after their grace: the addresses may be observed here again.
    await settle(w, 3_600_000);
    expect(claims(w)).toHaveLength(0);
    expect(observe('10.88.60.9')).not.toThrow();
    expect(observe('10.88.60.10')).not.toThrow();
  });
});

describe('the run ledger', () => {
  it('duplicate, non-matching and expired events never trigger a run; a handled event is never handed over again', async () => {
    const w = await world();
    const ev = receive(w, 'observed');
    await settle(w);
    expect(w.pluginRuns).toBe(1);
    w.store.insert([ev]); // duplicate
    w.store.insert([{ ...ev, expiresAt: new Date(w.clock.now() + 900_000).toISOString() }]); // TTL refresh of a handled event
    w.store.insert([{ ...ev, id: 'other-type', type: 'vendor.thing.happened', payload: {} }]);
    w.store.insert([{ ...ev, id: 'already-expired', expiresAt: new Date(w.clock.now() - 1).toISOString() }]);
    await settle(w);
    expect(w.pluginRuns).toBe(1);
    expect(w.runs.list({}).map((r) => [r.eventId, r.status])).toEqual([[ev.id, 'succeeded']]);
  });

  it('a matched event has its ledger row in the transaction that stores it, a whole batch in one run', async () => {
    const w = await world();
    const seenInside: Array<string | undefined> = [];
    // Hooks run in the order they were added: this one after the engine's, before the commit.
    const unhook = w.store.withinInsert((changed) => {
      for (const { event } of changed) seenInside.push(w.runs.status('onprem-clients', event.id));
    });
    const batch = Array.from({ length: 50 }, (_, i) => ({
      id: `batch-${i}`,
      group: 'edge',
      sourceNode: 'onprem',
      type: 'routerd.client.ipv4.observed',
      payload: { address: `10.88.61.${i}/32`, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
      observedAt: new Date(w.clock.now()).toISOString(),
      expiresAt: new Date(w.clock.now() + 300_000).toISOString(),
    }));
    w.store.insert(batch);
    unhook();
    // Written before the commit, not after it: no commit of their own.
    expect(seenInside).toEqual(batch.map(() => 'pending'));
    await settle(w);
    expect(w.pluginRuns).toBe(1);
    expect(w.runs.list({ limit: 100 }).filter((r) => r.status === 'succeeded')).toHaveLength(50);
  });

  it('an insert rolled back leaves no ledger row and runs nothing; the next one runs only its own events', async () => {
    const w = await world();
    const unhook = w.store.withinInsert(() => {
      throw new Error('disk full');
    });
    expect(() => receive(w, 'observed', '10.88.60.20')).toThrow('disk full');
    unhook();
    expect(w.runs.list({})).toEqual([]);
    await settle(w);
    expect(w.pluginRuns).toBe(0);
    const ev = receive(w, 'observed', '10.88.60.21');
    await settle(w);
    expect(w.pluginRuns).toBe(1);
    expect(w.runs.list({}).map((r) => [r.eventId, r.status])).toEqual([[ev.id, 'succeeded']]);
  });

  it('a failed run is retried with backoff until it succeeds', async () => {
    const w = await world();
    failNext = 2;
    const ev = receive(w, 'observed');
    await settle(w);
    expect(w.runs.list({})[0]).toMatchObject({ eventId: ev.id, status: 'failed', attempts: 1 });
    expect(w.runs.list({})[0]?.lastError).toMatch(/provider metadata unreachable/);
    await settle(w, 12_500); // base 10s ±20 %
    expect(w.runs.list({})[0]).toMatchObject({ status: 'failed', attempts: 2 });
    await settle(w, 25_000);
    expect(w.runs.list({})[0]).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(claims(w)).toHaveLength(1);
  });

  it('a wall clock stepped back an hour delays a retry by no more than the longest backoff', async () => {
    const w = await world();
    failNext = 1;
    const ev = receive(w, 'observed');
    await settle(w);
    expect(w.runs.list({})[0]).toMatchObject({ eventId: ev.id, status: 'failed', attempts: 1 });
    // NTP corrects a clock that ran an hour ahead; the retry timer still fires after its own delay.
    w.clock.step(-3_600_000);
    await settle(w, 12_500);
    expect(w.runs.list({})[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(w.engineLogs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'the clock stepped back: retries scheduled past the longest backoff are due sooner',
      }),
    );
    // The longest backoff is this subscription's maxDelay (1m) with +20 % jitter; before, the row waited
    // out the hour.
    await settle(w, 72_000);
    expect(w.runs.list({})[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(claims(w)).toHaveLength(1);
  });

  it('retry puts failed rows back at once', async () => {
    const w = await world();
    failNext = 1;
    const ev = receive(w, 'observed');
    await settle(w);
    expect(w.engine.retry('onprem-clients', ev.id)).toEqual([ev.id]);
    await settle(w);
    expect(w.runs.list({})[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
  });
});
