import { fileURLToPath } from 'node:url';
import type { ActionPlan } from '@routerd/plugin-sdk';
import { runPlanStepsWithFakeCli, scenarioPlansByAction } from '@routerd/plugin-sdk/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsPlugin } from '../src/plugin.js';
import { TEST_CONFIG } from './config.js';

const binDir = fileURLToPath(new URL('fake-cli/', import.meta.url));
let plans: Map<ActionPlan['action'], ActionPlan>;

beforeAll(async () => {
  plans = await scenarioPlansByAction(awsPlugin, TEST_CONFIG);
});

const run = (action: ActionPlan['action'], scenario: string) =>
  runPlanStepsWithFakeCli(plans.get(action)!.steps, { binDir, scenario });

describe('aws: plans run through a fake aws CLI exactly as an executor would', () => {
  it('assign on a fresh address: check, then assign, with the argv of the plan', async () => {
    const r = await run('assign-secondary-ip', 'absent');
    expect(r.outcome).toBe('completed');
    expect(r.calls).toEqual(plans.get('assign-secondary-ip')!.steps.map((s) => [s.tool, ...s.argv]));
  });

  it('already assigned to our ENI = success, and nothing is mutated', async () => {
    const r = await run('assign-secondary-ip', 'on-self');
    expect(r.outcome).toBe('already-done');
    expect(r.calls.map((c) => c[2])).toEqual(['describe-network-interfaces']);
  });

  it('held by another ENI: stop and report, never reassign', async () => {
    const r = await run('assign-secondary-ip', 'held-elsewhere');
    expect(r.outcome).toBe('held-elsewhere');
    expect(r.steps.at(-1)!.stderr).toContain('assigned, but move is not allowed');
    expect(r.calls.flat()).not.toContain('--allow-reassignment');
  });

  it('throttling is retryable', async () => {
    for (const action of [
      'assign-secondary-ip',
      'unassign-secondary-ip',
      'ensure-forwarding-enabled',
    ] as const) {
      expect((await run(action, 'throttled')).outcome).toBe('retry');
    }
  });

  it('unassign of an address the ENI no longer has = success; of one it has, done', async () => {
    expect((await run('unassign-secondary-ip', 'absent')).outcome).toBe('already-done');
    expect((await run('unassign-secondary-ip', 'on-self')).outcome).toBe('completed');
  });

  it('forwarding: modify-network-interface-attribute --no-source-dest-check', async () => {
    const r = await run('ensure-forwarding-enabled', 'absent');
    expect(r.outcome).toBe('completed');
    expect(r.calls[0]).toContain('--no-source-dest-check');
  });
});
