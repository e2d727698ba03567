import { fileURLToPath } from 'node:url';
import type { ActionPlan } from '@routerd/plugin-sdk';
import { runPlanStepsWithFakeCli, scenarioPlansByAction } from '@routerd/plugin-sdk/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { azurePlugin } from '../src/plugin.js';
import { TEST_CONFIG } from './config.js';

const binDir = fileURLToPath(new URL('fake-cli/', import.meta.url));
let assign: ActionPlan;
let unassign: ActionPlan;
let forwarding: ActionPlan;

beforeAll(async () => {
  const plans = await scenarioPlansByAction(azurePlugin, TEST_CONFIG);
  [assign, unassign, forwarding] = [
    plans.get('assign-secondary-ip')!,
    plans.get('unassign-secondary-ip')!,
    plans.get('ensure-forwarding-enabled')!,
  ];
});

const az = (plan: ActionPlan, scenario: string, from = 0) =>
  runPlanStepsWithFakeCli(plan.steps.slice(from), { binDir, scenario });

describe('azure: plans through a fake az, spawned without a shell', () => {
  it('a fresh address: list finds nothing, ip-config create runs with the plan argv', async () => {
    const r = await az(assign, 'absent');
    expect(r.outcome).toBe('completed');
    expect(r.calls).toEqual(assign.steps.map((s) => [s.tool, ...s.argv]));
    expect(r.calls[1]).toEqual(
      expect.arrayContaining(['--name', 'routerd-10-88-60-9', '--private-ip-address', '10.88.60.9']),
    );
  });

  it('already assigned = success: found by the check, whatever the ip-config is called', async () => {
    for (const scenario of ['on-self', 'on-self-other-name']) {
      const r = await az(assign, scenario);
      expect([scenario, r.outcome, r.calls.length]).toEqual([scenario, 'already-done', 1]);
    }
  });

  it('already assigned = success also when create itself reports our own NIC as the holder (a race)', async () => {
    const r = await az(assign, 'on-self-other-name', 1);
    expect(r.outcome).toBe('already-done');
    expect(r.steps[0]!.stderr).toContain('PrivateIPAddressIsAllocated');
  });

  it('held by another NIC: PrivateIPAddressIsAllocated is a conflict, not a success', async () => {
    const r = await az(assign, 'held-elsewhere');
    expect(r.outcome).toBe('held-elsewhere');
    expect(r.steps.at(-1)!.stderr).toContain('networkInterfaces/db-nic/');
  });

  it('NRP busy or throttled: retry, for every plan', async () => {
    const outcomes = await Promise.all([assign, unassign, forwarding].map((p) => az(p, 'throttled')));
    expect(outcomes.map((r) => r.outcome)).toEqual(['retry', 'retry', 'retry']);
  });

  it('unassign deletes only our named ip-config; a missing one = success', async () => {
    expect((await az(unassign, 'on-self')).outcome).toBe('completed');
    expect((await az(unassign, 'absent')).outcome).toBe('already-done');
    const r = await az(unassign, 'on-self-other-name');
    expect(r.outcome).toBe('already-done');
    expect(r.calls[0]).toContain('routerd-10-88-60-9');
  });

  it('forwarding: nic update --ip-forwarding true', async () => {
    const r = await az(forwarding, 'absent');
    expect(r.outcome).toBe('completed');
    expect(r.calls[0]!.slice(0, 4)).toEqual(['az', 'network', 'nic', 'update']);
  });
});
