import { type } from 'arktype';
import { describe, expect, it } from 'vitest';
import { definePlugin } from '../src/server/index.js';
import { createTestHost, makeEvent, spawnTestHost, type TestHost } from '../src/testing/index.js';
import { fixture } from './helpers.js';

const observed = makeEvent({
  type: 'routerd.client.ipv4.observed',
  payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});

// The same plugin logic as test/fixtures/good-plugin.mjs, defined in-process.
const inProcess = definePlugin({
  name: 'good-plugin',
  version: '1.2.3',
  capabilities: ['propose.dynamicConfig'],
  run: (request) => ({
    ttl: '300s',
    resources: request.spec.events.map((e) => ({
      apiVersion: 'net.routerd.net/v1alpha1',
      kind: 'RemoteAddressClaim',
      metadata: { name: `onprem-${String(e.payload.address).split('/')[0]!.replaceAll('.', '-')}` },
      spec: { address: e.payload.address, domain: e.payload.domain, ownerNode: e.sourceNode },
    })),
  }),
});

const hosts: Record<string, () => Promise<TestHost>> = {
  'in-process': () => createTestHost(inProcess, { granted: ['propose.dynamicConfig'] }),
  'child process': () =>
    spawnTestHost({ executable: fixture('good-plugin.mjs') }, { granted: ['propose.dynamicConfig'] }),
};

describe.each(Object.keys(hosts))('one test, %s', (kind) => {
  it('produces the claim for an observed address', async () => {
    const host = await hosts[kind]!();
    try {
      expect(host.initializeResult.plugin.version).toBe('1.2.3');
      const res = await host.run({ events: [observed] });
      expect(res.status.resources?.[0]?.metadata.name).toBe('onprem-10-88-60-9');
      await host.ping();
    } finally {
      await host.close();
    }
  });
});

describe('SDK runtime details', () => {
  it('validates config with the plugin schema and reports the field path', async () => {
    const p = definePlugin({
      name: 'cfg',
      version: '1',
      capabilities: [],
      configSchema: type({ region: 'string', 'retries?': 'number.integer' }),
      run: () => ({}),
    });
    await expect(createTestHost(p, { config: { retries: 'x' } })).rejects.toThrow(/\/config\/region/);
    const ok = await createTestHost(p, { config: { region: 'ap-northeast-1' } });
    await ok.close();
  });

  it('in-process, keeps the plugin’s log lines as it would write them on stderr', async () => {
    const p = definePlugin({
      name: 'talker',
      version: '1',
      capabilities: [],
      run: (_request, ctx) => {
        ctx.log.warn('looked around', { seen: 3, token: 'hunter2' });
        return {};
      },
    });
    const host = await createTestHost(p);
    try {
      await host.run();
      const line = host.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'looked around');
      expect(line).toMatchObject({ level: 'warn', seen: 3 });
      expect(JSON.stringify(line)).not.toContain('hunter2'); // secret-looking keys are redacted
    } finally {
      await host.close();
    }
  });

  it('refuses to send output the plugin was not granted, naming the capability', async () => {
    const p = definePlugin({
      name: 'sneaky',
      version: '1',
      capabilities: ['propose.dynamicConfig'],
      run: () => ({ events: [{ type: 'x.y', payload: {} }] }),
    });
    const host = await createTestHost(p, { granted: ['propose.dynamicConfig'] });
    await expect(host.run()).rejects.toMatchObject({
      code: 'CAPABILITY_NOT_GRANTED',
      details: { capability: 'observe.events' },
    });
    await host.close();
  });

  it('publish is refused without observe.events', async () => {
    let error: unknown;
    const p = definePlugin({
      name: 'pub',
      version: '1',
      capabilities: [],
      run: async (_req, ctx) => {
        error = await ctx.publish([{ type: 'x.y', payload: {} }]).catch((e: unknown) => e);
        return {};
      },
    });
    const host = await createTestHost(p, { granted: [] });
    await host.run();
    expect((error as { code: number }).code).toBe(-32021);
    await host.close();
  });
});
