import { addressClaimScenarios, createTestHost, runWithMetadata } from '@routerd/plugin-sdk/testing';
import { describe, expect, it } from 'vitest';
import { awsPlugin } from '../src/plugin.js';
import { ENI, REGION } from './config.js';
import { startFakeImds } from './fake-imds.js';

// Failures (slow, 401, 403, malformed) are covered for every provider by the contract test.
describe('aws: identity from a fake IMDSv2 on 127.0.0.1', () => {
  it('discovers the ENI, subnet, region and primary address with a session token', async () => {
    const imds = await startFakeImds('ok');
    const status = await runWithMetadata(awsPlugin, imds, {}).finally(() => imds.close());
    expect(status.diagnostics).toEqual([]);
    const assign = status.actionPlans!.find((p) => p.action === 'assign-secondary-ip')!;
    expect(assign.target).toMatchObject({
      nicRef: ENI,
      region: REGION,
      subnetCidr: '10.88.60.0/24',
      subnetRef: 'subnet-0123456789abcdef0',
    });
    // Only the first local address is the router's own; 10.88.60.20 was captured earlier and stays claimable.
    expect(assign.preconditions.find((p) => p.name === 'not-own-address')!.expect).toContain('{10.88.60.4}');
    const [token, ...gets] = imds.requests;
    expect(token).toMatchObject({ method: 'PUT', url: '/latest/api/token' });
    expect(token!.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBe('21600');
    expect(gets.every((r) => r.method === 'GET' && r.headers['x-aws-ec2-metadata-token'])).toBe(true);
  });

  it('a second ENI by MAC; a MAC IMDS does not know is a diagnostic', async () => {
    const imds = await startFakeImds('ok');
    const status = await runWithMetadata(awsPlugin, imds, { macAddress: '0e:00:00:00:00:01' }).finally(() =>
      imds.close(),
    );
    expect(status.diagnostics!.map((d) => d.summary)).toEqual([
      'AWS IMDSv2 GET /latest/meta-data/network/interfaces/macs/0e:00:00:00:00:01/interface-id: answered HTTP 404',
    ]);
  });

  it('asks IMDS once per identityCacheFor, not once per run', async () => {
    const imds = await startFakeImds('ok');
    const host = await createTestHost(awsPlugin, { config: { metadataUrl: imds.url } });
    const observed = addressClaimScenarios()[0]!.request;
    try {
      await host.run(observed);
      const first = imds.requests.length;
      await host.run(observed);
      expect([first > 0, imds.requests.length]).toEqual([true, first]);
    } finally {
      await host.close();
      await imds.close();
    }
  });
});
