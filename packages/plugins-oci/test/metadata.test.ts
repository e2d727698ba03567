import { EventTypes } from '@routerd/plugin-sdk';
import { createTestHost, makeEvent, makeRequest } from '@routerd/plugin-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ociPlugin } from '../src/plugin.js';
import { COMPARTMENT, SUBNET, VNIC } from './config.js';
import { startFakeImds } from './fake-imds.js';

const observed = makeRequest({
  events: [
    makeEvent({
      type: EventTypes.clientIpv4Observed,
      payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'manual' },
    }),
  ],
});
let teardown: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const t of teardown) await t();
  teardown = [];
});

async function withImds(
  mode: Parameters<typeof startFakeImds>[0],
  config: Record<string, unknown> = { subnetId: SUBNET },
) {
  const imds = await startFakeImds(mode);
  const host = await createTestHost(ociPlugin, {
    config: { metadataUrl: imds.url, metadataTimeout: '300ms', ...config },
  });
  teardown.push(
    () => host.close(),
    () => imds.close(),
  );
  return { imds, status: (await host.run(observed)).status };
}

describe('oci: identity from a fake IMDS v2 on 127.0.0.1', () => {
  it('reads the VNIC, subnet CIDR, compartment and region with Authorization: Bearer Oracle', async () => {
    const { imds, status } = await withImds('ok');
    expect(status.diagnostics).toEqual([]);
    const assign = status.actionPlans!.find((p) => p.action === 'assign-secondary-ip')!;
    expect(assign.target).toEqual({
      nicRef: VNIC,
      address: '10.88.60.9/32',
      region: 'ap-tokyo-1',
      compartmentId: COMPARTMENT,
      subnetRef: SUBNET,
      subnetCidr: '10.88.60.0/24',
    });
    expect(imds.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/opc/v2/instance/', 'Bearer Oracle'],
      ['/opc/v2/vnics/', 'Bearer Oracle'],
    ]);
  });

  it('every VNIC primary is an own address: the second VNIC in config, claims outside its subnet refused', async () => {
    const { status } = await withImds('ok', {
      subnetId: SUBNET,
      vnicId: 'ocid1.vnic.oc1.ap-tokyo-1.abxhiljrsecond',
    });
    expect(status.diagnostics!.map((d) => d.summary)).toEqual([
      expect.stringContaining('10.88.60.9/32 is outside 10.88.62.0/24'),
    ]);
  });

  it('without the subnet OCID: a diagnostic naming config.subnetId, and IMDS is not asked', async () => {
    const { imds, status } = await withImds('ok', {});
    expect(status.diagnostics![0]!.summary).toContain('config.subnetId');
    expect(imds.requests).toEqual([]);
  });
});
