import { EventTypes } from '@routerd/plugin-sdk';
import { createTestHost, makeEvent, makeRequest } from '@routerd/plugin-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { azureNicId } from '../src/metadata.js';
import { azurePlugin } from '../src/plugin.js';
import { NIC, RESOURCE_GROUP, SUBSCRIPTION } from './config.js';
import { startFakeImds } from './fake-imds.js';

const request = makeRequest({
  events: [
    makeEvent({
      type: EventTypes.clientIpv4Observed,
      payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'dhcp' },
    }),
  ],
});
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

async function plan(
  mode: Parameters<typeof startFakeImds>[0],
  extra: Record<string, unknown> = { nicName: NIC },
) {
  const imds = await startFakeImds(mode);
  const host = await createTestHost(azurePlugin, {
    config: { metadataUrl: imds.url, metadataTimeout: '300ms', ...extra },
  });
  stops.push(
    () => host.close(),
    () => imds.close(),
  );
  return { imds, status: (await host.run(request)).status };
}

describe('azure: identity from a fake IMDS on 127.0.0.1', () => {
  it('reads location, subscription, group and subnet with Metadata: true; the NIC name from config', async () => {
    const { imds, status } = await plan('ok');
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
    expect(imds.requests).toHaveLength(1);
    expect(imds.requests[0]!.url).toBe('/metadata/instance?api-version=2021-02-01');
  });

  it('picks the interface by MAC and lets config override the resource group', async () => {
    const { status } = await plan('ok', {
      nicName: 'nic-b',
      macAddress: '00:0d:3a:32:85:71',
      resourceGroup: 'rg-net',
    });
    expect(status.diagnostics).toEqual([
      expect.objectContaining({
        summary: expect.stringMatching(/^10\.88\.60\.9\/32 is outside 10\.88\.61\.0\/24/),
      }),
    ]);
  });

  it('without a NIC name: a diagnostic saying what to set, and no metadata request', async () => {
    const { imds, status } = await plan('ok', {});
    expect(status.diagnostics![0]!.summary).toMatch(/set config\.nicName/);
    expect(imds.requests).toHaveLength(0);
  });
});
