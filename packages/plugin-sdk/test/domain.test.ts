import { type } from 'arktype';
import { describe, expect, it } from 'vitest';
import {
  addressClaimConfigShape,
  claimName,
  classifyStepOutcome,
  cliStep,
  defineAddressClaimPlugin,
  fetchMetadata,
  idempotencyKey,
  type ProviderCli,
  planName,
  resolveArgv,
  stepOutputRef,
} from '../src/domain/index.js';
import { addressClaimScenarios, createTestHost, startLoopbackServer } from '../src/testing/index.js';

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
  const plugin = defineAddressClaimPlugin({
    provider: 'gcp',
    version: '0.0.1',
    configSchema: type(addressClaimConfigShape),
    identity: {
      service: 'GCE metadata',
      defaultBaseUrl: 'http://127.0.0.1:9',
      requiredIdentity: ['region'],
      discover: async () => ({ nicRef: 'nic0', subnetCidr: '10.88.60.0/24', ownAddresses: [] }),
    },
    cli,
  });

  it('refuses at initialize a config identity without a field the commands need', async () => {
    await expect(
      createTestHost(plugin, { config: { identity: { nicRef: 'nic0', subnetCidr: '10.88.60.0/24' } } }),
    ).rejects.toThrow(/identity\/region|identity.region|region/);
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
