import { EventTypes } from '@routerd/plugin-sdk';
import { createTestHost, makeEvent, makeRequest } from '@routerd/plugin-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { awsPlugin } from '../src/plugin.js';
import { ENI, REGION } from './config.js';
import { startFakeImds } from './fake-imds.js';

const observed = makeRequest({
  events: [
    makeEvent({
      type: EventTypes.clientIpv4Observed,
      payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
    }),
  ],
});
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function runAgainst(mode: Parameters<typeof startFakeImds>[0]) {
  const imds = await startFakeImds(mode);
  const host = await createTestHost(awsPlugin, {
    config: { metadataUrl: imds.url, metadataTimeout: '300ms' },
  });
  cleanups.push(
    () => host.close(),
    () => imds.close(),
  );
  return { imds, result: await host.run(observed) };
}

describe('aws: identity from a fake IMDSv2 on 127.0.0.1', () => {
  it('discovers the ENI, subnet, region and primary address with a session token', async () => {
    const { imds, result } = await runAgainst('ok');
    expect(result.status.diagnostics).toEqual([]);
    const assign = result.status.actionPlans!.find((p) => p.action === 'assign-secondary-ip')!;
    expect(assign.target).toMatchObject({
      nicRef: ENI,
      region: REGION,
      subnetCidr: '10.88.60.0/24',
      subnetRef: 'subnet-0123456789abcdef0',
    });
    // Only the first local address is the router's own; 10.88.60.20 was captured earlier and stays claimable.
    expect(assign.preconditions.find((p) => p.name === 'not-own-address')!.expect).toContain('{10.88.60.4}');
    expect(imds.requests[0]).toMatchObject({ method: 'PUT', url: '/latest/api/token' });
    expect(imds.requests[0]!.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBe('21600');
    expect(imds.requests.slice(1).every((r) => r.headers['x-aws-ec2-metadata-token'])).toBe(true);
  });

  it('asks IMDS once per identityCacheFor, not once per run', async () => {
    const imds = await startFakeImds('ok');
    const host = await createTestHost(awsPlugin, { config: { metadataUrl: imds.url } });
    cleanups.push(
      () => host.close(),
      () => imds.close(),
    );
    await host.run(observed);
    const first = imds.requests.length;
    await host.run(observed);
    expect(imds.requests.length).toBe(first);
  });
});
