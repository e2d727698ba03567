import { runWithMetadata } from '@routerd/plugin-sdk/testing';
import { describe, expect, it } from 'vitest';
import { ociPlugin } from '../src/plugin.js';
import { COMPARTMENT, SUBNET, VNIC } from './config.js';
import { startFakeImds } from './fake-imds.js';

// Failures (slow, 401, 403, malformed) are covered for every provider by the contract test.
describe('oci: identity from a fake IMDS v2 on 127.0.0.1', () => {
  it('reads the VNIC, subnet CIDR, compartment and region with Authorization: Bearer Oracle', async () => {
    const imds = await startFakeImds('ok');
    const status = await runWithMetadata(ociPlugin, imds, { subnetId: SUBNET }).finally(() => imds.close());
    expect(status.diagnostics).toEqual([]);
    expect(status.actionPlans![0]!.target).toEqual({
      nicRef: VNIC,
      address: '10.88.60.9/32',
      region: 'ap-tokyo-1',
      compartmentId: COMPARTMENT,
      subnetRef: SUBNET,
      subnetCidr: '10.88.60.0/24',
    });
    expect(imds.requests.map((r) => `${r.url} ${r.headers.authorization}`)).toEqual([
      '/opc/v2/instance/ Bearer Oracle',
      '/opc/v2/vnics/ Bearer Oracle',
    ]);
  });

  it('the second VNIC by config: its subnet is the scope, so 10.88.60.9 is refused', async () => {
    const imds = await startFakeImds('ok');
    const vnicId = 'ocid1.vnic.oc1.ap-tokyo-1.abxhiljrsecond';
    const status = await runWithMetadata(ociPlugin, imds, { subnetId: SUBNET, vnicId }).finally(() =>
      imds.close(),
    );
    expect(status.actionPlans ?? []).toEqual([]);
    expect(status.diagnostics![0]!.summary).toBe('10.88.60.9/32 is outside 10.88.62.0/24: not captured');
  });

  it('without the subnet OCID: a diagnostic naming config.subnetId, and IMDS is not asked', async () => {
    const imds = await startFakeImds('ok');
    const status = await runWithMetadata(ociPlugin, imds, {}).finally(() => imds.close());
    expect(status.diagnostics![0]!.summary).toContain('config.subnetId');
    expect(imds.requests).toEqual([]);
  });
});
