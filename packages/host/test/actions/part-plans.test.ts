// Dynamic config hands its parts' plans to the executor: a plan announced for the first time is journaled
// (only for a provider an ActionPolicy governs), a part released or superseded before its plan ran
// cancels it, and a released claim's undo is journaled as a teardown. A real SQLite file holds the parts
// and the journal; time is a manual clock; every policy here is manual, so no tool ever runs.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ActionPlan,
  type Event,
  newTraceContext,
  type PluginResult,
  spanIdOf,
  type TraceContext,
  traceIdOf,
} from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { ActionExecutor } from '../../src/actions/executor.js';
import { PartPlans, partBasisExpiry, policiesByName } from '../../src/actions/part-plans.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { DynamicConfig } from '../../src/dynamic/service.js';
import { NoObserveSet } from '../../src/events/no-observe.js';
import { ActionJournal } from '../../src/store/action-journal.js';
import { openDatabase } from '../../src/store/database.js';
import { DynamicStore } from '../../src/store/dynamic-parts.js';

const CONFIG = `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec: { nodeName: cloud }
---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: aws }
spec: { executable: /usr/bin/true, capabilities: [propose.dynamicConfig, propose.providerAction] }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: clients }
spec:
  groupRef: edge
  match: { types: ['routerd.client.ipv4.*'] }
  trigger: { pluginRef: aws }
  teardown: { grace: 30m, observationTTL: 300s }
`;
const MANUAL_POLICY = `---
apiVersion: config.routerd.net/v1alpha1
kind: ActionPolicy
metadata: { name: aws }
spec: { tools: { aws: /usr/bin/aws } }
`;
const T0 = Date.parse('2026-11-27T06:00:00Z');

// The AWS plugin's own answer to one observed on-prem client: a claim, its assign plan, a forwarding plan.
const observed = JSON.parse(
  readFileSync(new URL('../../../plugins-aws/test/golden/observed.json', import.meta.url), 'utf8'),
) as PluginResult['status'];
const result = (status: Partial<PluginResult['status']>): PluginResult => ({
  apiVersion: 'plugin.routerd.net/v1alpha1',
  kind: 'PluginResult',
  metadata: {},
  status: { observedAt: new Date(T0).toISOString(), ...status },
});
const event = (id: string, kind: 'observed' | 'expired', at: number): Event => ({
  id,
  group: 'edge',
  sourceNode: 'onprem',
  type: `routerd.client.ipv4.${kind}`,
  observedAt: new Date(at).toISOString(),
  expiresAt: new Date(at + 300_000).toISOString(),
  payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});

function setup(yaml: string, emit: (drafts: { type: string }[], cause?: TraceContext) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'part-plans-'));
  writeFileSync(join(dir, 'c.yaml'), yaml);
  const load = loadConfig([join(dir, 'c.yaml')]);
  if (!load.ok) throw new Error(JSON.stringify(load.issues));
  const clock = new ManualClock(T0);
  const db = openDatabase(join(dir, 'routerd.db'));
  const journal = new ActionJournal(db);
  const policies = () => policiesByName(load.config);
  // Wired as the daemon wires it: a provision plan lapses with its part's TTL.
  const executor = new ActionExecutor({
    journal,
    clock,
    policies,
    log: () => {},
    basisExpiresAt: partBasisExpiry(() => dynamic),
  });
  const dynamic: DynamicConfig = new DynamicConfig({
    store: new DynamicStore(db),
    clock,
    noObserve: new NoObserveSet(),
    config: () => load.config,
    emit,
    log: () => {},
    plans: new PartPlans({ executor, journal, policies }),
  });
  return { dynamic, journal, executor, clock, subscription: load.config.subscriptions[0]!.resource };
}
/**
 * Under a manual policy: the client observed at T0 (a claim, its assign journaled), expired a minute
 * later, and its claim released at T0 + 31 min, past the 30 min grace (its undo journaled as a teardown).
 */
function releasedAfterGrace() {
  const w = setup(CONFIG + MANUAL_POLICY);
  w.dynamic.applyResult({ subscription: w.subscription }, [event('e1', 'observed', T0)], result(observed));
  w.clock.set(T0 + 60_000);
  w.dynamic.applyResult({ subscription: w.subscription }, [event('e2', 'expired', T0 + 60_000)], result({}));
  w.clock.set(T0 + 31 * 60_000);
  w.dynamic.releaseDue();
  return w;
}
const view = (j: ActionJournal) =>
  j
    .list()
    .reverse()
    .map((r) => ({ action: r.action, phase: r.phase, state: r.state, source: r.source }));

describe('part plans → journal', () => {
  it('a new claim part journals its plans once, waiting for approval under a manual policy', () => {
    const { dynamic, journal, subscription } = setup(CONFIG + MANUAL_POLICY);
    dynamic.applyResult({ subscription }, [event('e1', 'observed', T0)], result(observed));
    const first = view(journal);
    expect(first).toEqual([
      {
        action: 'assign-secondary-ip',
        phase: 'provision',
        state: 'awaiting-approval',
        source: 'DynamicConfigPart/clients-10-88-60-9',
      },
      {
        action: 'ensure-forwarding-enabled',
        phase: 'provision',
        state: 'awaiting-approval',
        source: expect.stringMatching(/^DynamicConfigPart\/clients-/),
      },
    ]);
    // The same answer again (a refresh): nothing new is journaled.
    dynamic.applyResult({ subscription }, [event('e2', 'observed', T0)], result(observed));
    expect(view(journal)).toEqual(first);
  });

  it('without an ActionPolicy for the provider nothing is journaled', () => {
    const { dynamic, journal, subscription } = setup(CONFIG);
    dynamic.applyResult({ subscription }, [event('e1', 'observed', T0)], result(observed));
    expect(dynamic.actionPlans().length).toBeGreaterThan(0);
    expect(journal.list()).toEqual([]);
  });

  it('a claim released after its grace cancels its unstarted assign and journals the undo as a teardown', () => {
    const { journal } = releasedAfterGrace();
    const assign = journal.list().find((r) => r.action === 'assign-secondary-ip')!;
    expect(assign.state).toBe('cancelled');
    expect(assign.reason).toBe('its part DynamicConfigPart/clients-10-88-60-9 was released before it ran');
    const undo = journal.list().find((r) => r.action === 'unassign-secondary-ip')!;
    expect(undo).toMatchObject({
      phase: 'teardown',
      state: 'awaiting-approval',
      source: 'DynamicConfigPart/clients-10-88-60-9-teardown',
    });
  });

  it('a client back after its claim was released cancels the unstarted teardown and journals the assign again', () => {
    const { dynamic, journal, clock, subscription } = releasedAfterGrace();
    expect(journal.list().find((r) => r.action === 'unassign-secondary-ip')?.state).toBe('awaiting-approval');
    clock.set(T0 + 32 * 60_000);
    dynamic.applyResult({ subscription }, [event('e3', 'observed', T0 + 32 * 60_000)], result(observed));
    const undo = journal.list().find((r) => r.action === 'unassign-secondary-ip')!;
    expect(undo.state).toBe('cancelled');
    expect(undo.reason).toBe(
      'its part DynamicConfigPart/clients-10-88-60-9-teardown was made moot by the client coming back before it ran',
    );
    expect(
      journal
        .list()
        .filter((r) => r.action === 'assign-secondary-ip')
        .map((r) => r.state),
    ).toEqual(['awaiting-approval', 'cancelled']);
  });

  it('an unstarted provision plan lapses with its part: cancelled at the TTL, and approval after it is refused', () => {
    const { dynamic, journal, executor, clock } = setup(CONFIG + MANUAL_POLICY);
    const forwarding = observed.actionPlans!.find((p) => p.action === 'ensure-forwarding-enabled')!;
    // The plugin's answer, observed now, held for 10 minutes.
    const answer = () =>
      result({ actionPlans: [forwarding], ttl: '10m', observedAt: new Date(clock.now()).toISOString() });
    dynamic.applyResult({ plugin: 'aws' }, [], answer());
    const [waiting] = journal.list();
    expect(waiting!.state).toBe('awaiting-approval');
    // Refreshed before the TTL: the lapse moves with the part.
    clock.advance(9 * 60_000);
    dynamic.applyResult({ plugin: 'aws' }, [], answer());
    clock.advance(2 * 60_000);
    expect(journal.get(waiting!.id)!.state).toBe('awaiting-approval');
    // Not refreshed again: the executor's own wake at the part's expiry cancels it.
    clock.advance(8 * 60_000);
    expect(journal.get(waiting!.id)).toMatchObject({
      state: 'cancelled',
      reason: 'its basis DynamicConfigPart/plugin-aws expired at 2026-11-27T06:19:00.000Z before it ran',
    });
    // A person approving a lapsed plan before any wake: refused, and the plan cancelled instead of run.
    dynamic.applyResult({ plugin: 'aws' }, [], answer());
    const again = journal.list().find((r) => r.state === 'awaiting-approval')!;
    clock.set(clock.now() + 11 * 60_000);
    expect(() => executor.approve(again.id, 'alice')).toThrow(/cancelled instead: its basis .* expired at/);
    expect(journal.get(again.id)!.state).toBe('cancelled');
  });

  it('a teardown never lapses: it still waits for a person after its part is past its TTL', () => {
    const { dynamic, journal, clock } = releasedAfterGrace();
    // The teardown part expires a grace (30m) after the release; the unassign must still be done.
    clock.advance(3 * 60 * 60_000);
    expect(dynamic.partExpiresAt('clients-10-88-60-9-teardown')).toBeLessThan(clock.now());
    expect(journal.list().find((r) => r.action === 'unassign-secondary-ip')!.state).toBe('awaiting-approval');
  });

  it('a part superseded by a newer generation cancels the plans it no longer carries', () => {
    const { dynamic, journal } = setup(CONFIG + MANUAL_POLICY);
    const forwarding = observed.actionPlans!.find((p) => p.action === 'ensure-forwarding-enabled')!;
    const other: ActionPlan = {
      ...forwarding,
      name: 'aws-ensure-forwarding-enabled-eni-0fedcba9876543210',
      idempotencyKey: 'aws|ensure-forwarding-enabled|eni-0fedcba9876543210',
      target: { ...forwarding.target, nicRef: 'eni-0fedcba9876543210' },
    };
    dynamic.applyResult({ plugin: 'aws' }, [], result({ actionPlans: [forwarding] }));
    dynamic.applyResult({ plugin: 'aws' }, [], result({ actionPlans: [other] }));
    expect(
      journal
        .list()
        .reverse()
        .map((r) => [r.nic, r.state, r.reason]),
    ).toEqual([
      [
        'eni-0abc1234def567890',
        'cancelled',
        'its part DynamicConfigPart/plugin-aws was superseded before it ran',
      ],
      ['eni-0fedcba9876543210', 'awaiting-approval', null],
    ]);
  });
});

describe('part plans in the trace of what caused them', () => {
  it('executions are children of the observation; the teardown announced at release, of the expiry', () => {
    const emitted: { types: string[]; cause?: TraceContext }[] = [];
    const { dynamic, journal, clock, subscription } = setup(CONFIG + MANUAL_POLICY, (drafts, cause) =>
      emitted.push({ types: drafts.map((d) => d.type), ...(cause ? { cause } : {}) }),
    );
    const seen = newTraceContext();
    const gone = newTraceContext();
    dynamic.applyResult({ subscription }, [{ ...event('e1', 'observed', T0), ...seen }], result(observed));
    const assign = journal.list().find((r) => r.action === 'assign-secondary-ip')!;
    expect(traceIdOf(assign.traceparent!)).toBe(traceIdOf(seen.traceparent));
    expect(assign.tracestate).toBe(`routerd=${spanIdOf(seen.traceparent)}`);
    expect(spanIdOf(assign.traceparent!)).not.toBe(spanIdOf(seen.traceparent)); // its own span

    clock.set(T0 + 60_000);
    dynamic.applyResult({ subscription }, [{ ...event('e2', 'expired', T0 + 60_000), ...gone }], result({}));
    emitted.length = 0;
    clock.set(T0 + 31 * 60_000);
    dynamic.releaseDue();
    // The teardown's announcement and its journaled undo answer the expiry, half an hour later.
    expect(emitted).toEqual([{ types: ['routerd.provider.action.planned'], cause: gone }]);
    const undo = journal.list().find((r) => r.action === 'unassign-secondary-ip')!;
    expect(traceIdOf(undo.traceparent!)).toBe(traceIdOf(gone.traceparent));
    expect(undo.tracestate).toBe(`routerd=${spanIdOf(gone.traceparent)}`);
  });
});
