// Which finished executions are news for the address's owner, and as which event type.
import { readFileSync } from 'node:fs';
import type { ExecutionRecord } from '@routerd/host-wire';
import { type ActionPlan, payloadHolds, validate, wellKnownPayloads } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { outcomeEvent, partOf } from '../../src/actions/outcome-events.js';

const plan = (
  JSON.parse(
    readFileSync(new URL('../../../plugins-aws/test/golden/observed.json', import.meta.url), 'utf8'),
  ) as { actionPlans: ActionPlan[] }
).actionPlans.find((p) => p.action === 'assign-secondary-ip')!;
const record = (state: ExecutionRecord['state'], reason: string | null = null): ExecutionRecord => ({
  id: 'x1',
  idempotencyKey: plan.idempotencyKey,
  provider: 'aws',
  action: plan.action,
  phase: 'provision',
  risk: 'low',
  nic: plan.target.nicRef,
  address: plan.target.address ?? null,
  source: 'DynamicConfigPart/clients-10-88-60-9',
  mode: 'auto',
  state,
  stepIndex: 1,
  approvedBy: 'ActionPolicy/aws rules[0]',
  approvedAt: '2026-11-27T06:00:00.000Z',
  createdAt: '2026-11-27T06:00:00.000Z',
  updatedAt: '2026-11-27T06:00:05.000Z',
  finishedAt: '2026-11-27T06:00:05.000Z',
  reason,
  undoOf: null,
  steps: [],
  plan,
});
const route = { group: 'edge', ownerNode: 'onprem' };

describe('action outcome events', () => {
  it('succeeded and already-done tell the owner the cloud holds the address', () => {
    for (const state of ['succeeded', 'already-done'] as const)
      expect(outcomeEvent(record(state), route)).toMatchObject({
        group: 'edge',
        type: 'routerd.provider.action.succeeded',
        subject: '10.88.60.9/32',
        dedupeKey: `x1|${state}`,
        payload: { state, ownerNode: 'onprem', address: '10.88.60.9/32', nic: 'eni-0abc1234def567890' },
      });
  });

  it('failed and held-elsewhere are failures, with the reason', () => {
    expect(outcomeEvent(record('held-elsewhere', 'step assign: held by another NIC'), route)).toMatchObject({
      type: 'routerd.provider.action.failed',
      payload: { state: 'held-elsewhere', reason: 'step assign: held by another NIC' },
    });
    expect(outcomeEvent(record('failed', 'verify: timed out'), route)?.type).toBe(
      'routerd.provider.action.failed',
    );
  });

  it('a cancelled or undone execution changed nothing in the cloud: no event', () => {
    expect(outcomeEvent(record('cancelled'), route)).toBeUndefined();
    expect(outcomeEvent(record('undone'), route)).toBeUndefined();
  });

  it("every event it writes holds the SDK's well-known payload, which every receiver checks", () => {
    for (const state of ['succeeded', 'already-done', 'failed', 'held-elsewhere'] as const) {
      const e = outcomeEvent(record(state, state === 'succeeded' ? null : 'why'), route)!;
      expect(payloadHolds(e.type, e.payload), state).toBe(true);
    }
    // What a receiver refuses, by path: a state no outcome event reports, an address that is not a /32.
    const good = outcomeEvent(record('succeeded'), route)!.payload as Record<string, unknown>;
    const schema = wellKnownPayloads['routerd.provider.action.succeeded'];
    for (const [field, value] of [
      ['state', 'running'],
      ['address', '10.88.60.0/24'],
    ] as const) {
      const checked = validate(schema, { ...good, [field]: value });
      expect(checked.ok, field).toBe(false);
      if (!checked.ok) expect(checked.issues.map((i) => i.path)).toEqual([`/${field}`]);
    }
  });

  it('names the part an execution came from', () => {
    expect(partOf({ source: 'DynamicConfigPart/clients-10-88-60-9' })).toBe('clients-10-88-60-9');
    expect(partOf({ source: 'routerctl' })).toBeUndefined();
  });
});
