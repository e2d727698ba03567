import { fileURLToPath } from 'node:url';
import type { ActionPlan } from '@routerd/plugin-sdk';
import { cliStep } from '@routerd/plugin-sdk/domain';
import {
  runPlanInFakeCloud,
  runPlanStepsWithFakeCli,
  scenarioPlansByAction,
} from '@routerd/plugin-sdk/testing';
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
/** A plan's verify command as a read-only step, run like the others. */
const verify = (plan: ActionPlan, scenario: string) =>
  runPlanStepsWithFakeCli([cliStep({ id: 'verify', mutating: false, ...plan.verify! })], {
    binDir,
    scenario,
  });
/** Debian 12's az 2.45 (privateIpAddress, enableIpForwarding) and a current az (privateIPAddress, …). */
const VERSIONS = ['', '@2.45'];

describe('azure: plans through a fake az, spawned without a shell', () => {
  it('a fresh address: list finds nothing, ip-config create runs with the plan argv', async () => {
    const r = await az(assign, 'absent');
    expect(r.outcome).toBe('completed');
    expect(r.calls).toEqual(assign.steps.map((s) => [s.tool, ...s.argv]));
    expect(r.calls[1]).toEqual(
      expect.arrayContaining(['--name', 'routerd-10-88-60-9', '--private-ip-address', '10.88.60.9']),
    );
  });

  it('already assigned = success: found by the check, whatever the ip-config is called, in either az shape', async () => {
    for (const version of VERSIONS) {
      for (const state of ['on-self', 'on-self-other-name']) {
        const r = await az(assign, `${state}${version}`);
        expect([state, version, r.outcome, r.calls.length]).toEqual([state, version, 'already-done', 1]);
      }
    }
  });

  it('verify reads either az shape: the address once assigned, nothing once released; forwarding true', async () => {
    for (const version of VERSIONS) {
      expect((await verify(assign, `on-self${version}`)).steps[0]!.stdout).toBe('10.88.60.9\n');
      expect((await verify(unassign, `absent${version}`)).steps[0]!.stdout).toBe('');
      expect((await verify(forwarding, `absent${version}`)).steps[0]!.stdout).toBe('true\n');
    }
  });

  it('already assigned = success also when create itself reports our own NIC as the holder (a race)', async () => {
    for (const state of ['on-self-other-name', 'on-self-other-case']) {
      const r = await az(assign, state, 1);
      expect([state, r.outcome]).toEqual([state, 'already-done']);
      expect(r.steps[0]!.stderr).toContain('PrivateIPAddressIsAllocated');
    }
  });

  it('held by another NIC — also a NIC of the same name in another resource group: a conflict, not a success', async () => {
    const other = await az(assign, 'held-elsewhere');
    expect(other.outcome).toBe('held-elsewhere');
    expect(other.steps.at(-1)!.stderr).toContain('networkInterfaces/db-nic/');
    const namesake = await az(assign, 'held-by-namesake');
    expect(namesake.outcome).toBe('held-elsewhere');
    expect(namesake.steps.at(-1)!.stderr).toContain(
      '/resourceGroups/rg-standby/providers/Microsoft.Network/networkInterfaces/router-nic/',
    );
  });

  it('NRP busy or throttled: retry, for every plan', async () => {
    const outcomes = await Promise.all([assign, unassign, forwarding].map((p) => az(p, 'throttled')));
    expect(outcomes.map((r) => r.outcome)).toEqual(['retry', 'retry', 'retry']);
  });

  it('our NIC does not exist: refused for every plan', async () => {
    const outcomes = await Promise.all([assign, unassign, forwarding].map((p) => az(p, 'nic-gone')));
    expect(outcomes.map((r) => r.outcome)).toEqual(['refused', 'refused', 'refused']);
    expect(outcomes[0]!.steps[0]!.stderr).toContain('(ResourceNotFound)');
  });

  it('already released → already-done, nothing deleted; our named ip-config is deleted, another name never', async () => {
    for (const version of VERSIONS) {
      for (const state of ['absent', 'on-self-other-name']) {
        const r = await az(unassign, `${state}${version}`);
        expect([state, version, r.outcome, r.calls.map((c) => c[4])]).toEqual([
          state,
          version,
          'already-done',
          ['list'],
        ]);
      }
      const r = await az(unassign, `on-self${version}`);
      expect(r.outcome).toBe('completed');
      expect(r.calls[1]).toEqual(expect.arrayContaining(['delete', '--name', 'routerd-10-88-60-9']));
    }
  });

  it('forwarding off: nic update --ip-forwarding true turns it on, verify prints true, in either az shape', async () => {
    for (const version of VERSIONS) {
      const { run, verified, after } = await runPlanInFakeCloud(forwarding, {
        binDir,
        cloud: { scenario: `absent${version}`, forwarding: false },
      });
      expect([version, run.outcome]).toEqual([version, 'completed']);
      const update = run.steps.find((s) => s.argv.slice(0, 3).join(' ') === 'network nic update')!;
      expect(update.argv).toEqual(expect.arrayContaining(['--ip-forwarding', 'true']));
      expect(after.forwarding).toBe(true);
      expect(verified).toBe('true\n');
    }
  });
});
