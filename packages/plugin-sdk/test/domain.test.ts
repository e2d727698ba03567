import { type } from 'arktype';
import { describe, expect, it } from 'vitest';
import {
  type AddressChange,
  addressClaimConfigShape,
  captureScope,
  claimName,
  classifyStepOutcome,
  cliStep,
  defineAddressClaimPlugin,
  fetchMetadata,
  idempotencyKey,
  type ProviderCli,
  planName,
  reservedAddressesOf,
  resolveArgv,
  scopeProblems,
  stepOutputRef,
} from '../src/domain/index.js';
import type { PlanAction, PlanStep } from '../src/index.js';
import { definePlugin } from '../src/server/index.js';
import {
  addressClaimScenarios,
  createTestHost,
  runPlanSteps,
  scenarioEvent,
  scenarioRequest,
  startLoopbackServer,
} from '../src/testing/index.js';

describe('names and keys', () => {
  it('are derived from the input only', () => {
    expect(claimName('10.88.60.9/32')).toBe('onprem-10-88-60-9');
    expect(planName('aws', 'assign-secondary-ip', { address: '10.88.60.9/32', nicRef: 'eni-1' })).toBe(
      'aws-assign-secondary-ip-10-88-60-9',
    );
    expect(
      planName('azure', 'ensure-forwarding-enabled', {
        nicRef: '/subscriptions/s/…/networkInterfaces/Router_NIC',
      }),
    ).toBe('azure-ensure-forwarding-enabled-router-nic');
    expect(idempotencyKey('aws', 'assign-secondary-ip', 'eni-0abc', '10.88.60.9')).toBe(
      'aws|assign-secondary-ip|eni-0abc|10.88.60.9/32',
    );
  });
});

describe('step outcomes', () => {
  const step = cliStep({
    id: 's',
    tool: 't',
    argv: [],
    mutating: true,
    alreadyDone: ['^10\\.88\\.60\\.9$'],
    heldElsewhere: ['move is not allowed'],
    retry: ['RequestLimitExceeded', '\\b429\\b'],
  });
  const exit = (exitCode: number, stdout = '', stderr = '') =>
    classifyStepOutcome(step, { exitCode, stdout, stderr });

  it('alreadyDone before heldElsewhere, both on any exit code; multi-line', () => {
    expect(exit(0, '10.88.60.4\n10.88.60.9\n')).toBe('already-done');
    expect(exit(254, '', '[10.88.60.9] assigned, but move is not allowed.')).toBe('held-elsewhere');
  });

  it('retry only on a non-zero exit; otherwise exit 0 succeeds and anything else fails', () => {
    expect(exit(254, '', 'An error occurred (RequestLimitExceeded)')).toBe('retry');
    expect(exit(0, '{"port": 429}')).toBe('succeeded');
    expect(exit(1, '', 'AccessDenied')).toBe('failed');
  });

  it('step output references are whole arguments, resolved from earlier steps only', () => {
    const argv = ['delete', '--id', stepOutputRef('lookup'), `x${stepOutputRef('lookup')}`];
    expect(resolveArgv(argv, new Map([['lookup', 'ocid1.privateip.x\n']]))).toEqual([
      'delete',
      '--id',
      'ocid1.privateip.x',
      'x{{steps.lookup.stdout}}',
    ]);
    expect(() => resolveArgv(argv, new Map())).toThrow(/has not run/);
  });

  it('an empty step output is refused, naming the step, instead of becoming an empty argument', () => {
    const argv = ['delete', '--private-ip-id', stepOutputRef('lookup-private-ip')];
    for (const printed of ['', '\n', '  \n'])
      expect(() => resolveArgv(argv, new Map([['lookup-private-ip', printed]]))).toThrow(
        'argv refers to the output of step "lookup-private-ip", which printed nothing: refusing an empty argument',
      );
  });

  it('a step run stops as failed, naming the step, before spawning a command with an empty argument', async () => {
    const node = (id: string, argv: string[]): PlanStep =>
      cliStep({ id, tool: process.execPath, argv, mutating: false });
    const run = await runPlanSteps(
      [node('lookup', ['-e', '']), node('delete', ['-e', 'process.exit(3)', stepOutputRef('lookup')])],
      { binDir: '/nonexistent' },
    );
    expect(run).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('step "delete": argv refers'),
    });
    expect(run.steps.map((s) => s.id)).toEqual(['lookup']);
  });

  it('flags "i" makes every pattern of the step ignore case', () => {
    const nic =
      '/subscriptions/s/resourceGroups/rg-edge/providers/Microsoft.Network/networkInterfaces/router-nic';
    const init = { id: 's', tool: 't', argv: [], mutating: true, alreadyDone: [`resource ${nic}/`] };
    const upper = { exitCode: 1, stdout: '', stderr: `resource ${nic.toUpperCase()}/ipConfigurations/x` };
    expect(classifyStepOutcome(cliStep(init), upper)).toBe('failed');
    expect(classifyStepOutcome(cliStep({ ...init, ignoreCase: true }), upper)).toBe('already-done');
    expect(cliStep({ ...init, ignoreCase: true }).outcomes.flags).toBe('i');
  });

  it('refused: only on a non-zero exit, after retry; a plan without the list reads as before', () => {
    const refusing = cliStep({
      ...{ id: 's', tool: 't', argv: [], mutating: true },
      retry: ['Throttl'],
      refused: ['UnauthorizedOperation'],
    });
    const c = (exitCode: number, stderr: string) =>
      classifyStepOutcome(refusing, { exitCode, stdout: '', stderr });
    expect(c(254, 'An error occurred (UnauthorizedOperation)')).toBe('refused');
    expect(c(0, 'UnauthorizedOperation')).toBe('succeeded');
    expect(c(254, 'Throttling; UnauthorizedOperation')).toBe('retry');
    expect(step.outcomes).not.toHaveProperty('refused');
    expect(exit(254, '', 'UnauthorizedOperation')).toBe('failed');
  });
});

describe('capture scope', () => {
  const reserved = [
    { offset: 0, why: 'the network address' },
    { offset: 1, why: 'the gateway' },
    { offset: -1, why: 'the broadcast address' },
  ];
  const identity = { nicRef: 'nic0', subnetCidr: '10.88.60.0/24', ownAddresses: ['10.88.60.4'] };
  const problems = (address: string, allowedCidrs?: string[]) => {
    const scope = captureScope(
      identity,
      { ownAddresses: [], ...(allowedCidrs ? { allowedCidrs } : {}) },
      reserved,
    );
    const change = { address, ip: address.split('/')[0]!, path: '/spec/events/0' } as AddressChange;
    return scopeProblems(change, scope).map((d) => d.summary);
  };

  it('allowedCidrs narrows the NIC subnet and never widens it', () => {
    expect(problems('10.88.61.5/32', ['10.88.0.0/16'])).toEqual([
      '10.88.61.5/32 is outside 10.88.60.0/24: not captured',
    ]);
    expect(problems('10.88.60.200/32', ['10.88.60.0/25'])).toEqual([
      '10.88.60.200/32 is outside allowedCidrs 10.88.60.0/25: not captured',
    ]);
    expect(problems('10.88.60.9/32', ['10.88.0.0/16'])).toEqual([]);
  });

  it("the provider's reserved addresses are refused, each with its reason", () => {
    expect(problems('10.88.60.0/32')).toEqual([
      '10.88.60.0/32 is a reserved address of subnet 10.88.60.0/24 (the network address): not captured',
    ]);
    expect(problems('10.88.60.1/32')[0]).toContain('(the gateway)');
    expect(problems('10.88.60.255/32')[0]).toContain('(the broadcast address)');
    expect(problems('10.88.60.2/32')).toEqual([]);
    expect(reservedAddressesOf('10.88.60.128/25', reserved).map((r) => r.ip)).toEqual([
      '10.88.60.128',
      '10.88.60.129',
      '10.88.60.255',
    ]);
  });
});

describe('fetchMetadata', () => {
  it('never throws: an unreachable service is a diagnostic', async () => {
    const server = await startLoopbackServer((_req, res) => void res.end('x'));
    const url = server.url;
    await server.close();
    const answer = await fetchMetadata(
      { baseUrl: url, timeoutMs: 500, service: 'Test IMDS' },
      { path: '/x' },
    );
    expect(answer).toMatchObject({
      ok: false,
      diagnostic: { severity: 'error', summary: 'Test IMDS GET /x: unreachable' },
    });
  });
});

describe('defineAddressClaimPlugin', () => {
  const noop = () => [];
  const cli: ProviderCli = {
    tool: 'gcloud',
    instanceIdentity: 'service-account',
    forwardingEffect: (nic) => `${nic} forwards`,
    commands: {
      assign: noop,
      unassign: noop,
      forwarding: noop,
      verifyAssigned: () => ({ tool: 'gcloud', argv: [], expect: 'x' }),
      verifyUnassigned: () => ({ tool: 'gcloud', argv: [], expect: 'x' }),
      verifyForwarding: () => ({ tool: 'gcloud', argv: [], expect: 'x' }),
    },
  };
  const pluginOptions = {
    provider: 'gcp' as const,
    version: '0.0.1',
    configSchema: type(addressClaimConfigShape),
    identity: {
      service: 'GCE metadata',
      defaultBaseUrl: 'http://127.0.0.1:9',
      requiredIdentity: ['region'] as const,
      discover: async () => ({ nicRef: 'nic0', subnetCidr: '10.88.60.0/24', ownAddresses: [] }),
    },
    cli,
    reservedAddresses: [{ offset: 1, why: 'GCP: the gateway' }],
  };
  const plugin = defineAddressClaimPlugin(pluginOptions);

  it('refuses at initialize a config identity without a field the commands need', async () => {
    await expect(
      createTestHost(plugin, { config: { identity: { nicRef: 'nic0', subnetCidr: '10.88.60.0/24' } } }),
    ).rejects.toThrow(/identity\/region|identity.region|region/);
  });

  it('plans nothing for a reserved address or one outside the subnet, whatever allowedCidrs says', async () => {
    const identity = { nicRef: 'nic0', subnetCidr: '10.88.60.0/24', region: 'r' };
    const host = await createTestHost(plugin, { config: { identity, allowedCidrs: ['10.88.0.0/16'] } });
    try {
      const events = ['10.88.60.1/32', '10.88.61.5/32', '10.88.60.9/32'].map((a) =>
        scenarioEvent('observed', a, 0),
      );
      const { status } = await host.run(scenarioRequest('scope', events));
      expect(status.actionPlans!.map((p) => p.target.address ?? p.action)).toEqual([
        '10.88.60.9/32',
        'ensure-forwarding-enabled',
      ]);
      expect(status.diagnostics!.map((d) => d.summary)).toEqual([
        '10.88.60.1/32 is a reserved address of subnet 10.88.60.0/24 (GCP: the gateway): not captured',
        '10.88.61.5/32 is outside 10.88.60.0/24: not captured',
      ]);
    } finally {
      await host.close();
    }
  });

  it('a forwarding plan has a prior-value undo only when the provider says how to restore forwarding', async () => {
    const identity = { nicRef: 'nic0', subnetCidr: '10.88.60.0/24', region: 'r' };
    const restoreStep: PlanStep = {
      id: 'restore',
      tool: 'gcloud',
      argv: ['restore'],
      mutating: true,
      outcomes: { alreadyDone: [], heldElsewhere: [], retry: [] },
    };
    const withRestore = defineAddressClaimPlugin({
      ...pluginOptions,
      cli: { ...cli, commands: { ...cli.commands, restoreForwarding: () => [restoreStep] } },
    });
    const forwarding = async (p: typeof plugin, planActions?: readonly PlanAction[] | false) => {
      const host = await createTestHost(p, {
        config: { identity },
        ...(planActions === undefined ? {} : { planActions }),
      });
      try {
        const { status } = await host.run(
          scenarioRequest('fwd', [scenarioEvent('observed', '10.88.60.9/32', 0)]),
        );
        return status.actionPlans!.find((plan) => plan.action === 'ensure-forwarding-enabled')!;
      } finally {
        await host.close();
      }
    };
    expect((await forwarding(plugin)).undo).toBeUndefined();
    expect((await forwarding(withRestore)).undo).toEqual({
      action: 'restore-forwarding',
      steps: [restoreStep],
      expectedEffects: ['forwarding on nic0 is off again, as the journal recorded it before'],
      restores: 'prior-value',
    });
    // A host that does not list restore-forwarding would refuse the whole result for that undo: the plan
    // goes without it. One from before the list says nothing at all: the same.
    expect(
      (
        await forwarding(withRestore, [
          'assign-secondary-ip',
          'unassign-secondary-ip',
          'ensure-forwarding-enabled',
        ])
      ).undo,
    ).toBeUndefined();
    const older = await forwarding(withRestore, false);
    expect(older.undo).toBeUndefined();
    expect(older.steps).toEqual((await forwarding(withRestore)).steps);
  });

  it('takes a newer host’s list of plan actions, keeping the ones this SDK knows', async () => {
    let seen: readonly PlanAction[] = [];
    const probe = definePlugin({
      name: 'probe',
      version: '1',
      capabilities: [],
      run: (_request, ctx) => {
        seen = ctx.planActions;
        return {};
      },
    });
    // A host newer than this SDK may accept actions it has never heard of: not a reason to refuse it.
    const newer = ['ensure-forwarding-enabled', 'move-public-ip'] as unknown as PlanAction[];
    const host = await createTestHost(probe, { granted: [], planActions: newer });
    try {
      await host.run({ events: [] });
      expect(seen).toEqual(['ensure-forwarding-enabled']);
    } finally {
      await host.close();
    }
  });

  it('reports a discovered identity that lacks a required field instead of planning with it', async () => {
    const host = await createTestHost(plugin, { config: {} });
    try {
      const { status } = await host.run(addressClaimScenarios()[0]!.request);
      expect(status.actionPlans ?? []).toEqual([]);
      expect(status.diagnostics).toEqual([
        expect.objectContaining({
          summary: 'GCE metadata: the discovered identity is incomplete',
          detail: 'missing region',
        }),
      ]);
    } finally {
      await host.close();
    }
  });
});
