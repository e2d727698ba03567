import { fileURLToPath } from 'node:url';
import type { ActionPlan, PlanStep } from '@routerd/plugin-sdk';
import { cliStep } from '@routerd/plugin-sdk/domain';
import { runPlanStepsWithFakeCli, scenarioPlansByAction } from '@routerd/plugin-sdk/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsCommands } from '../src/commands.js';
import { awsPlugin } from '../src/plugin.js';
import { ENI, TEST_CONFIG, TEST_IDENTITY } from './config.js';

const binDir = fileURLToPath(new URL('fake-cli/', import.meta.url));
let plans: Map<ActionPlan['action'], ActionPlan>;

beforeAll(async () => {
  plans = await scenarioPlansByAction(awsPlugin, TEST_CONFIG);
});

const ACTIONS = ['assign-secondary-ip', 'unassign-secondary-ip', 'ensure-forwarding-enabled'] as const;
const run = (action: ActionPlan['action'], scenario: string) =>
  runPlanStepsWithFakeCli(plans.get(action)!.steps, { binDir, scenario });
const runSteps = (steps: PlanStep[], scenario = 'absent') =>
  runPlanStepsWithFakeCli(steps, { binDir, scenario });
/** A plan's verify command as a read-only step, run like the others. */
const verify = (action: ActionPlan['action'], scenario: string) =>
  runSteps([cliStep({ id: 'verify', mutating: false, ...plans.get(action)!.verify! })], scenario);
/** The assign steps the plugin would build for `ip`, which its scope checks never let it plan. */
const assignSteps = (ip: string) =>
  awsCommands.assign({ identity: TEST_IDENTITY, target: { nicRef: ENI }, ip });

describe('aws: plans run through a fake aws CLI exactly as an executor would', () => {
  it('assign on a fresh address: check, then assign, with the argv of the plan; verify then lists it', async () => {
    const r = await run('assign-secondary-ip', 'absent');
    expect(r.outcome).toBe('completed');
    expect(r.calls).toEqual(plans.get('assign-secondary-ip')!.steps.map((s) => [s.tool, ...s.argv]));
    expect((await verify('assign-secondary-ip', 'absent')).steps[0]!.stdout).toBe('10.88.60.4\n');
    expect((await verify('assign-secondary-ip', 'on-self')).steps[0]!.stdout).toBe(
      '10.88.60.4\t10.88.60.9\n',
    );
  });

  it('already assigned to our ENI = success, and nothing is mutated', async () => {
    const r = await run('assign-secondary-ip', 'on-self');
    expect(r.outcome).toBe('already-done');
    expect(r.calls.map((c) => c[2])).toEqual(['describe-network-interfaces']);
  });

  it('held by another ENI: stop and report, never reassign', async () => {
    const r = await run('assign-secondary-ip', 'held-elsewhere');
    expect(r.outcome).toBe('held-elsewhere');
    expect(r.steps.at(-1)!.stderr).toContain('[10.88.60.9] assigned, but move is not allowed.');
    expect(r.calls.flat()).not.toContain('--allow-reassignment');
  });

  it('throttling is retryable', async () => {
    for (const action of ACTIONS) expect((await run(action, 'throttled')).outcome).toBe('retry');
  });

  it('already released → already-done by the count, nothing mutated; released when our ENI has it', async () => {
    const gone = await run('unassign-secondary-ip', 'absent');
    expect(gone.outcome).toBe('already-done');
    expect(gone.steps.map((s) => [s.id, s.stdout])).toEqual([['check-unassigned', '0\n']]);
    const held = await run('unassign-secondary-ip', 'on-self');
    expect(held.outcome).toBe('completed');
    expect(held.calls.map((c) => c[2])).toEqual([
      'describe-network-interfaces',
      'unassign-private-ip-addresses',
    ]);
    // The release itself still reads a race with the check (the address gone meanwhile) as done.
    const release = plans.get('unassign-secondary-ip')!.steps.filter((s) => s.mutating);
    expect((await runSteps(release, 'absent')).steps[0]!.stderr).toContain(
      'Some of the specified addresses are not assigned to interface',
    );
    expect((await runSteps(release, 'absent')).outcome).toBe('already-done');
  });

  it('forwarding: the check reads True, then --no-source-dest-check; already off → already-done', async () => {
    const r = await run('ensure-forwarding-enabled', 'absent');
    expect(r.outcome).toBe('completed');
    expect(r.steps[0]!.stdout).toBe('True\n');
    expect(r.calls[1]).toContain('--no-source-dest-check');
    const on = await run('ensure-forwarding-enabled', 'forwarding-on');
    expect([on.outcome, on.calls.length]).toEqual(['already-done', 1]);
    expect((await verify('ensure-forwarding-enabled', 'forwarding-on')).steps[0]!.stdout).toBe('False\n');
  });

  it('forwarding undo: --source-dest-check after reading False; already on → already-done', async () => {
    const undo = plans.get('ensure-forwarding-enabled')!.undo!;
    expect(undo).toMatchObject({ action: 'restore-forwarding', restores: 'prior-value' });
    const r = await runSteps(undo.steps!, 'forwarding-on');
    expect(r.outcome).toBe('completed');
    expect(r.calls[1]).toContain('--source-dest-check');
    expect((await runSteps(undo.steps!, 'absent')).outcome).toBe('already-done');
  });
});

describe('aws: what EC2 documents as the caller’s fault is refused, not a plain failure', () => {
  it('no permission, or our ENI gone: refused for every plan, with EC2’s code in the text', async () => {
    for (const [scenario, code] of [
      ['unauthorized', 'UnauthorizedOperation'],
      ['eni-gone', 'InvalidNetworkInterfaceID.NotFound'],
    ]) {
      for (const action of ACTIONS) {
        const r = await run(action, scenario!);
        expect([scenario, action, r.outcome]).toEqual([scenario, action, 'refused']);
        expect(r.steps.at(-1)!.stderr).toContain(`An error occurred (${code})`);
      }
    }
  });

  it('the ENI cannot take another address: PrivateIpAddressLimitExceeded is refused', async () => {
    const r = await run('assign-secondary-ip', 'limit');
    expect(r.outcome).toBe('refused');
    expect(r.steps.at(-1)!.stderr).toContain('Number of private addresses will exceed limit.');
  });

  it('a reserved or out-of-subnet address (never planned; another writer could try) is refused', async () => {
    const reserved = await runSteps(assignSteps('10.88.60.1'));
    expect(reserved.outcome).toBe('refused');
    expect(reserved.steps.at(-1)!.stderr).toContain(
      "Address 10.88.60.1 is in subnet's reserved address range",
    );
    const outside = await runSteps(assignSteps('10.88.61.5'));
    expect(outside.outcome).toBe('refused');
    expect(outside.steps.at(-1)!.stderr).toContain("Address does not fall within the subnet's address range");
  });

  it('no --dry-run preflight: the assign/unassign commands have no such option', async () => {
    for (const action of ACTIONS)
      expect(plans.get(action)!.steps.flatMap((s) => s.argv)).not.toContain('--dry-run');
    const [, assign] = assignSteps('10.88.60.9');
    const r = await runSteps([{ ...assign!, argv: [...assign!.argv, '--dry-run'] }]);
    expect([r.outcome, r.steps[0]!.exitCode]).toEqual(['failed', 252]);
    expect(r.steps[0]!.stderr).toMatch(/\nUnknown options: --dry-run\n$/);
  });
});
