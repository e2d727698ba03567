// The plugin in this process, through the SDK's test host: the same protocol routerd-eventd speaks,
// with breakpoints and coverage. `npm run conformance` runs the built executable as a real child.
import { createTestHost } from '@routerd/plugin-sdk/testing';
import { describe, expect, it } from 'vitest';
import { LOAD_OBSERVED, plugin } from '../src/plugin.js';

describe(plugin.name, () => {
  it('publishes the load average on an interval run', async () => {
    const host = await createTestHost(plugin, {
      granted: ['{{capabilities}}'],
      config: { subject: 'router-1' },
    });
    try {
      const result = await host.run({ trigger: { type: 'interval' } });
      expect(host.published).toEqual([
        {
          type: LOAD_OBSERVED,
          subject: 'router-1',
          payload: { load1: expect.any(Number), load5: expect.any(Number), load15: expect.any(Number) },
          ttl: '5m',
        },
      ]);
      expect(result.status.diagnostics).toEqual([]);
    } finally {
      await host.close();
    }
  });

  it('reports an event the host refused', async () => {
    const host = await createTestHost(plugin, {
      granted: ['{{capabilities}}'],
      onPublish: () => ({ accepted: [], duplicates: [], rejected: [{ id: '/events/0', reason: 'no room' }] }),
    });
    try {
      const result = await host.run({ trigger: { type: 'interval' } });
      expect(result.status.diagnostics).toEqual([{ severity: 'warning', summary: 'event refused: no room' }]);
    } finally {
      await host.close();
    }
  });

  it('refuses a config field its schema does not declare', async () => {
    await expect(createTestHost(plugin, { config: { subjct: 'router-1' } })).rejects.toThrow(/subjct/);
  });
});
