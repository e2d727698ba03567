import { type MetadataMode, runWithMetadata } from '@routerd/plugin-sdk/testing';
import { describe, expect, it } from 'vitest';
import { azureNicId } from '../src/metadata.js';
import { azurePlugin } from '../src/plugin.js';
import { NIC, RESOURCE_GROUP, SUBSCRIPTION } from './config.js';
import { startFakeImds } from './fake-imds.js';

/** The plugin's answer and what the fake IMDS saw, for one run with `config`. */
async function discover(config: Record<string, unknown>, mode: MetadataMode = 'ok') {
  const imds = await startFakeImds(mode);
  const status = await runWithMetadata(azurePlugin, imds, config).finally(() => imds.close());
  return { status, requests: imds.requests };
}

// Failures (slow, 401, 403, malformed) are covered for every provider by the contract test.
describe('azure: identity from a fake IMDS on 127.0.0.1', () => {
  it('reads location, subscription, group and subnet with Metadata: true; the NIC name from config', async () => {
    const { status, requests } = await discover({ nicName: NIC, macAddress: '00-0D-3A-32-85-70' });
    expect(status.diagnostics).toEqual([]);
    const assign = status.actionPlans!.find((p) => p.action === 'assign-secondary-ip')!;
    expect(assign.target).toEqual({
      nicRef: azureNicId(SUBSCRIPTION, RESOURCE_GROUP, NIC),
      address: '10.88.60.9/32',
      region: 'japaneast',
      resourceGroup: RESOURCE_GROUP,
      nicName: NIC,
      ipConfigName: 'routerd-10-88-60-9',
      subnetCidr: '10.88.60.0/24',
    });
    expect(assign.steps[1]!.argv).toContain(SUBSCRIPTION);
    // Both NICs' primaries are the router's own; the second address of the first NIC is not.
    expect(assign.preconditions.find((p) => p.name === 'not-own-address')!.expect).toContain(
      '{10.88.60.4, 10.88.61.4}',
    );
    expect(requests.map((r) => [r.url, r.headers.metadata])).toEqual([
      ['/metadata/instance?api-version=2021-02-01', 'true'],
    ]);
  });

  it('picks the interface by MAC and lets config override the resource group', async () => {
    const { status } = await discover({
      nicName: 'nic-b',
      macAddress: '00:0d:3a:32:85:71',
      resourceGroup: 'rg-net',
    });
    expect(status.diagnostics!.map((d) => d.summary)).toEqual([
      expect.stringMatching(/^10\.88\.60\.9\/32 is outside 10\.88\.61\.0\/24/),
    ]);
  });

  it('several interfaces and no MAC: a diagnostic asking for macAddress, never the first interface’s subnet', async () => {
    const { status } = await discover({ nicName: NIC });
    expect(status.actionPlans ?? []).toEqual([]);
    expect(status.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        summary: 'Azure IMDS lists 2 interfaces: set config.macAddress to the MAC of NIC router-nic',
        detail: expect.stringContaining('MACs 000D3A328570, 000D3A328571'),
      }),
    ]);
  });

  it('without a NIC name: a diagnostic saying what to set, and no metadata request', async () => {
    const { status, requests } = await discover({});
    expect(status.diagnostics![0]!.summary).toMatch(/set config\.nicName/);
    expect(requests).toHaveLength(0);
  });
});
