import { fileURLToPath } from 'node:url';
import type { ActionPlan } from '@routerd/plugin-sdk';
import { cliStep } from '@routerd/plugin-sdk/domain';
import {
  runPlanInFakeCloud,
  runPlanStepsWithFakeCli,
  scenarioPlansByAction,
} from '@routerd/plugin-sdk/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { ociPlugin } from '../src/plugin.js';
import { TEST_CONFIG } from './config.js';

const binDir = fileURLToPath(new URL('fake-cli/', import.meta.url));
let byAction: Map<ActionPlan['action'], ActionPlan>;

beforeAll(async () => {
  byAction = await scenarioPlansByAction(ociPlugin, TEST_CONFIG);
});

const oci = (action: ActionPlan['action'], scenario: string) =>
  runPlanStepsWithFakeCli(byAction.get(action)!.steps, { binDir, scenario });
/** A plan's verify command as a read-only step, run like the others. */
const verify = (action: ActionPlan['action'], scenario: string) =>
  runPlanStepsWithFakeCli([cliStep({ id: 'verify', mutating: false, ...byAction.get(action)!.verify! })], {
    binDir,
    scenario,
  });

describe('oci: plans through a fake oci CLI, argv as given', () => {
  it('assign, address free: the holder look-up prints nothing (empty list), private-ip create runs', async () => {
    const r = await oci('assign-secondary-ip', 'absent');
    expect(r.outcome).toBe('completed');
    expect([r.steps[0]!.stdout, r.steps[0]!.stderr]).toEqual(['', '']);
    expect(r.calls.map((c) => c.slice(1, 4))).toEqual([
      ['network', 'private-ip', 'list'],
      ['network', 'private-ip', 'create'],
    ]);
    const check = await verify('assign-secondary-ip', 'absent');
    expect([check.steps[0]!.stdout, check.steps[0]!.stderr]).toEqual([
      '',
      'Query returned empty result, no output to show.\n',
    ]);
  });

  it('already assigned to our VNIC = success, before anything is created', async () => {
    const r = await oci('assign-secondary-ip', 'on-self');
    expect([r.outcome, r.calls.length]).toEqual(['already-done', 1]);
    expect((await verify('assign-secondary-ip', 'on-self')).steps[0]!.stdout).toBe('10.88.60.9\n');
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

  it('429 TooManyRequests: retry; our VNIC gone (404 NotAuthorizedOrNotFound): refused — for every plan', async () => {
    for (const action of byAction.keys()) {
      expect(await oci(action, 'throttled')).toMatchObject({ outcome: 'retry' });
      expect(await oci(action, 'vnic-gone')).toMatchObject({ outcome: 'refused' });
    }
  });

  it('unassign: look up the private-IP OCID on our VNIC, delete it by that OCID', async () => {
    const r = await oci('unassign-secondary-ip', 'on-self');
    expect(r.outcome).toBe('completed');
    expect(r.calls[0]).toEqual(
      expect.arrayContaining(['--vnic-id', 'ocid1.vnic.oc1.ap-tokyo-1.abxhiljrrouter']),
    );
    expect(r.calls[1]).toEqual(
      expect.arrayContaining([
        'delete',
        '--private-ip-id',
        'ocid1.privateip.oc1.ap-tokyo-1.abxhiljr109',
        '--force',
      ]),
    );
  });

  it('already released → already-done (also when another VNIC holds it): nothing deleted', async () => {
    for (const scenario of ['absent', 'held-elsewhere']) {
      const r = await oci('unassign-secondary-ip', scenario);
      expect([scenario, r.outcome, r.calls.length]).toEqual([scenario, 'already-done', 1]);
      expect(r.steps[0]!.stderr).toBe('Query returned empty result, no output to show.\n');
    }
  });

  it('the fake refuses an empty OCID as the CLI does (exit 2, before any request)', async () => {
    const [, del] = byAction.get('unassign-secondary-ip')!.steps;
    const empty = await runPlanStepsWithFakeCli(
      [{ ...del!, argv: del!.argv.map((a) => (a.startsWith('{{') ? '' : a)) }],
      {
        binDir,
        scenario: 'absent',
      },
    );
    expect([empty.outcome, empty.steps[0]!.exitCode]).toEqual(['failed', 2]);
    expect(empty.steps[0]!.stderr).toContain(
      'Error: Parameter --private-ip-id cannot be whitespace or empty string',
    );
  });

  it('forwarding off: vnic update --skip-source-dest-check true turns it on; verify prints true', async () => {
    const { run, verified, after } = await runPlanInFakeCloud(byAction.get('ensure-forwarding-enabled')!, {
      binDir,
      cloud: { scenario: 'absent', forwarding: false },
    });
    expect(run.outcome).toBe('completed');
    const update = run.steps.find((s) => s.argv.slice(0, 3).join(' ') === 'network vnic update')!;
    expect(JSON.parse(update.stdout).data['skip-source-dest-check']).toBe(true);
    expect(after.forwarding).toBe(true);
    expect(verified).toBe('true\n');
  });
});
