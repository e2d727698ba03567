// The AWS plugin's plans (its golden files: what the plugin's own code emits, checked by its tests) run
// step by step through the real AWS CLI against the endpoint, with the SDK's step runner: the same outcome
// classification an executor uses. Only `--endpoint-url` is added to each argv.
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionPlan, PlanStep } from '@routerd/plugin-sdk';
import { runPlanSteps } from '@routerd/plugin-sdk/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Ec2Endpoint, startEc2Endpoint } from '../src/index.js';
import { AWS, type AwsCli, awsCli } from './aws-cli.js';

const ENI = 'eni-0abc1234def567890';
const OTHER = 'eni-0fedcba9876543210';
const CLIENT = '10.88.60.9';

const golden = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../packages/plugins-aws/test/golden/${name}.json`, import.meta.url), 'utf8'),
  ) as { actionPlans?: ActionPlan[] };
const plans = new Map<string, ActionPlan>(
  ['observed', 'expired'].flatMap((n) => golden(n).actionPlans ?? []).map((p) => [p.action, p]),
);

let binDir: string;
let ec2: Ec2Endpoint;
let cli: AwsCli;
// The step runner's environment: the fake credentials and settings of awsCli, nothing of the machine's.
let env: Record<string, string>;

beforeAll(() => {
  // The plans name the tool `aws`; the runner finds it on PATH, here the Debian CLI v2 and nothing else.
  binDir = mkdtempSync(join(tmpdir(), 'ec2-endpoint-bin-'));
  symlinkSync(AWS, join(binDir, 'aws'));
});
afterAll(() => rmSync(binDir, { recursive: true, force: true }));

beforeEach(async () => {
  ec2 = await startEc2Endpoint({
    enis: [
      { id: ENI, subnetCidr: '10.88.60.0/24', primaryIp: '10.88.60.4', instanceId: 'i-0123456789abcdef0' },
      { id: OTHER, subnetCidr: '10.88.60.0/24', primaryIp: '10.88.60.5' },
    ],
  });
  cli = awsCli(ec2.url);
  // PATH stays the runner's: binDir first.
  const { PATH: _, ...rest } = cli.env;
  env = rest;
});
afterEach(async () => {
  cli.cleanup();
  await ec2.close();
});

const withEndpoint = (steps: readonly PlanStep[]) =>
  steps.map((s) => ({ ...s, argv: [...s.argv, '--endpoint-url', ec2.url] }));
const runPlan = (action: string) =>
  runPlanSteps(withEndpoint(plans.get(action)!.steps), { binDir, env, timeoutMs: 120_000 });
/** The plan's verify command, run once (the endpoint is consistent at once: no polling needed). */
const verify = async (action: string) => {
  const { argv } = plans.get(action)!.verify!;
  return (await cli.run(argv)).stdout;
};

describe('assign-secondary-ip', () => {
  it('a free address: check, then assign without reassignment; verify lists it', async () => {
    const r = await runPlan('assign-secondary-ip');
    expect(r.outcome, JSON.stringify(r.steps)).toBe('completed');
    expect(ec2.calls.map((c) => c.action)).toEqual(['DescribeNetworkInterfaces', 'AssignPrivateIpAddresses']);
    expect(ec2.calls[1]?.params.AllowReassignment).toBeUndefined();
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
    expect(await verify('assign-secondary-ip')).toBe(`10.88.60.4\t${CLIENT}\n`);
  });

  it('already on our ENI: already-done after the read-only check, nothing mutated', async () => {
    ec2.state.eni(ENI).secondaryIps.push(CLIENT);
    const r = await runPlan('assign-secondary-ip');
    expect(r.outcome).toBe('already-done');
    expect(ec2.calls.map((c) => c.action)).toEqual(['DescribeNetworkInterfaces']);
  });

  it('held by another ENI: held-elsewhere, and the other ENI keeps it', async () => {
    ec2.state.eni(OTHER).secondaryIps.push(CLIENT);
    const r = await runPlan('assign-secondary-ip');
    expect(r.outcome).toBe('held-elsewhere');
    expect(ec2.state.addressesOf(OTHER)).toEqual(['10.88.60.5', CLIENT]);
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
  });

  it('throttled: retry, and the rerun completes', async () => {
    ec2.throttleNext(1, 'AssignPrivateIpAddresses');
    expect((await runPlan('assign-secondary-ip')).outcome).toBe('retry');
    expect((await runPlan('assign-secondary-ip')).outcome).toBe('completed');
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
  });

  it('no room left on the ENI, or no permission: refused', async () => {
    ec2.state.eni(ENI).maxPrivateIps = 1;
    expect((await runPlan('assign-secondary-ip')).outcome).toBe('refused');
    ec2.state.eni(ENI).maxPrivateIps = 10;
    ec2.state.denied.add('AssignPrivateIpAddresses');
    expect((await runPlan('assign-secondary-ip')).outcome).toBe('refused');
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
  });
});

describe('unassign-secondary-ip', () => {
  it('held by our ENI: the count reads 1, the release runs; verify counts 0', async () => {
    ec2.state.eni(ENI).secondaryIps.push(CLIENT);
    const r = await runPlan('unassign-secondary-ip');
    expect(r.outcome, JSON.stringify(r.steps)).toBe('completed');
    expect(ec2.calls.map((c) => c.action)).toEqual([
      'DescribeNetworkInterfaces',
      'UnassignPrivateIpAddresses',
    ]);
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
    expect(await verify('unassign-secondary-ip')).toBe('0\n');
  });

  it('already released: already-done by the read-only check, nothing mutated', async () => {
    expect((await runPlan('unassign-secondary-ip')).outcome).toBe('already-done');
    expect(ec2.calls.map((c) => c.action)).toEqual(['DescribeNetworkInterfaces']);
  });

  it('held by another ENI: the check counts only ours, and the release of what we lack changes nothing', async () => {
    ec2.state.eni(OTHER).secondaryIps.push(CLIENT);
    expect((await runPlan('unassign-secondary-ip')).outcome).toBe('already-done');
    expect(ec2.state.addressesOf(OTHER)).toEqual(['10.88.60.5', CLIENT]);
  });
});

describe('ensure-forwarding-enabled', () => {
  it('turns the source/destination check off after reading True; verify prints False', async () => {
    const r = await runPlan('ensure-forwarding-enabled');
    expect(r.outcome).toBe('completed');
    // The check's reading is the prior value the undo may restore.
    expect(r.steps[0]?.stdout).toBe('True\n');
    expect(ec2.state.eni(ENI).sourceDestCheck).toBe(false);
    expect(await verify('ensure-forwarding-enabled')).toBe('False\n');
  });

  it('already off: already-done by the read-only check, nothing modified', async () => {
    ec2.state.eni(ENI).sourceDestCheck = false;
    expect((await runPlan('ensure-forwarding-enabled')).outcome).toBe('already-done');
    expect(ec2.calls.map((c) => c.action)).toEqual(['DescribeNetworkInterfaces']);
  });

  it('its undo (restore-forwarding) turns the check back on, and is already done when it is on', async () => {
    const undo = plans.get('ensure-forwarding-enabled')!.undo!;
    expect(undo).toMatchObject({ action: 'restore-forwarding', restores: 'prior-value' });
    const restore = () => runPlanSteps(withEndpoint(undo.steps!), { binDir, env, timeoutMs: 120_000 });
    ec2.state.eni(ENI).sourceDestCheck = false;
    expect((await restore()).outcome).toBe('completed');
    expect(ec2.state.eni(ENI).sourceDestCheck).toBe(true);
    expect((await restore()).outcome).toBe('already-done');
  });
});

it('our ENI gone: every plan is refused', async () => {
  ec2.state.enis.delete(ENI);
  for (const action of plans.keys())
    expect([action, (await runPlan(action)).outcome]).toEqual([action, 'refused']);
});

it('the golden files hold one plan of each action', () => {
  expect([...plans.keys()].sort()).toEqual([
    'assign-secondary-ip',
    'ensure-forwarding-enabled',
    'unassign-secondary-ip',
  ]);
});
