import { fileURLToPath } from 'node:url';
import type { ActionPlan } from '@routerd/plugin-sdk';
import { runPlanStepsWithFakeCli, scenarioPlansByAction } from '@routerd/plugin-sdk/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { ociPlugin } from '../src/plugin.js';
import { TEST_CONFIG } from './config.js';

const binDir = fileURLToPath(new URL('fake-cli/', import.meta.url));
let byAction: Map<ActionPlan['action'], ActionPlan>;

beforeAll(async () => {
  byAction = await scenarioPlansByAction(ociPlugin, TEST_CONFIG);
});

async function oci(action: ActionPlan['action'], scenario: string, part: 'steps' | 'verify' = 'steps') {
  const plan = byAction.get(action)!;
  const steps =
    part === 'steps'
      ? plan.steps
      : [
          {
            id: 'verify',
            ...plan.verify!,
            mutating: false,
            outcomes: { alreadyDone: [], heldElsewhere: [], retry: [] },
          },
        ];
  return runPlanStepsWithFakeCli(steps, { binDir, scenario });
}

describe('oci: plans through a fake oci CLI, argv as given', () => {
  it('assign, address free: the holder look-up finds nothing, private-ip create runs', async () => {
    const r = await oci('assign-secondary-ip', 'absent');
    expect(r.outcome).toBe('completed');
    expect(r.steps[0]!.stderr).toContain('Query returned empty result');
    expect(r.calls.map((c) => c.slice(1, 4))).toEqual([
      ['network', 'private-ip', 'list'],
      ['network', 'private-ip', 'create'],
    ]);
    expect((await oci('assign-secondary-ip', 'absent', 'verify')).steps[0]!.stdout.trim()).toBe('');
  });

  it('already assigned to our VNIC = success, before anything is created', async () => {
    const r = await oci('assign-secondary-ip', 'on-self');
    expect([r.outcome, r.calls.length]).toEqual(['already-done', 1]);
    expect((await oci('assign-secondary-ip', 'on-self', 'verify')).steps[0]!.stdout.trim()).toBe(
      '10.88.60.9',
    );
  });

  it('held by another VNIC: a conflict, never a move (no --unassign-if-already-assigned)', async () => {
    const r = await oci('assign-secondary-ip', 'held-elsewhere');
    expect(r.outcome).toBe('held-elsewhere');
    expect(r.steps[0]!.stdout).toMatch(/^ocid1\.vnic\..*dbserver/);
    // Should the look-up race with another writer, create's 409 is a conflict too.
    const create = await runPlanStepsWithFakeCli(byAction.get('assign-secondary-ip')!.steps.slice(1), {
      binDir,
      scenario: 'held-elsewhere',
    });
    expect(create.outcome).toBe('held-elsewhere');
  });

  it('429 TooManyRequests: retry, for every plan', async () => {
    for (const action of byAction.keys())
      expect(await oci(action, 'throttled')).toMatchObject({ outcome: 'retry' });
  });

  it('unassign: look up the private-IP OCID on our VNIC, delete it by that OCID', async () => {
    const r = await oci('unassign-secondary-ip', 'on-self');
    expect(r.outcome).toBe('completed');
    expect(r.calls[1]).toEqual(
      expect.arrayContaining([
        'delete',
        '--private-ip-id',
        'ocid1.privateip.oc1.ap-tokyo-1.abxhiljr109',
        '--force',
      ]),
    );
  });

  it('unassign: not on our VNIC (gone, or another VNIC holds it) = success, nothing deleted', async () => {
    for (const scenario of ['absent', 'held-elsewhere']) {
      const r = await oci('unassign-secondary-ip', scenario);
      expect([scenario, r.outcome, r.calls.length]).toEqual([scenario, 'already-done', 1]);
    }
  });

  it('forwarding: vnic update --skip-source-dest-check true', async () => {
    const r = await oci('ensure-forwarding-enabled', 'absent');
    expect(r.outcome).toBe('completed');
    expect(JSON.parse(r.steps[0]!.stdout).data['skip-source-dest-check']).toBe(true);
  });
});
