// The plugin in this process, through the SDK's test host: the same protocol routerd-eventd speaks,
// with breakpoints and coverage. `npm run conformance` runs the built executable as a real child.
import { createTestHost, makeEvent } from '@routerd/plugin-sdk/testing';
import { describe, expect, it } from 'vitest';
import { plugin } from '../src/plugin.js';

const observed = (address: string, domain = 'lan') =>
  makeEvent({
    type: 'routerd.client.ipv4.observed',
    sourceNode: 'onprem-1',
    payload: { address, domain, ownerSide: 'onprem', source: 'arp' },
  });

describe(plugin.name, () => {
  it('proposes a RemoteAddressClaim for each observed client address', async () => {
    const host = await createTestHost(plugin, { granted: ['{{capabilities}}'] });
    try {
      const result = await host.run({ events: [observed('10.88.60.9/32')] });
      expect(result.status.resources).toEqual([
        {
          apiVersion: 'net.routerd.net/v1alpha1',
          kind: 'RemoteAddressClaim',
          metadata: { name: 'onprem-10-88-60-9' },
          spec: { address: '10.88.60.9/32', domain: 'lan', ownerNode: 'onprem-1' },
        },
      ]);
    } finally {
      await host.close();
    }
  });

  it('keeps to config.domain', async () => {
    const host = await createTestHost(plugin, { granted: ['{{capabilities}}'], config: { domain: 'lan' } });
    try {
      const result = await host.run({
        events: [observed('10.88.60.9/32', 'guest'), observed('10.88.60.10/32')],
      });
      expect(result.status.resources?.map((r) => r.metadata.name)).toEqual(['onprem-10-88-60-10']);
    } finally {
      await host.close();
    }
  });

  it('says which event it skipped, and why', async () => {
    const host = await createTestHost(plugin, { granted: ['{{capabilities}}'] });
    try {
      const result = await host.run({ events: [observed('not-an-address')] });
      expect(result.status.resources).toEqual([]);
      expect(result.status.diagnostics).toEqual([
        expect.objectContaining({ severity: 'warning', path: '/spec/events/0/payload' }),
      ]);
    } finally {
      await host.close();
    }
  });

  it('refuses a config field its schema does not declare', async () => {
    await expect(createTestHost(plugin, { config: { domian: 'lan' } })).rejects.toThrow(/domian/);
  });
});
