// Importing the control API's schemas builds none of them (issue 18: an idle daemon holds only the schemas
// a request has needed); each is built the first time it is used, and then behaves as the schema it stands for.
import { describe, expect, it } from 'vitest';

/** arktype's registry of every node built in this process (it keeps them for the life of the process). */
const nodesBuilt = () =>
  Object.keys((globalThis as { $ark?: { nodesByRegisteredId: object } }).$ark?.nodesByRegisteredId ?? {})
    .length;

describe('lazily built schemas', () => {
  it('importing @routerd/host-wire builds no schema; using one builds it and what it refers to', async () => {
    // The dependencies first: the SDK's schemas are its own.
    await import('@routerd/plugin-sdk');
    await import('@routerd/plugin-sdk/client');
    const before = nodesBuilt();
    expect(before).toBeGreaterThan(0);
    const wire = await import('../src/index.js');
    expect(nodesBuilt()).toBe(before);

    // A request schema used by the daemon: built on first use, with the refusal naming the field.
    const out = wire.RedeliverRequest({ status: 'nope' });
    expect(nodesBuilt()).toBeGreaterThan(before);
    expect(String(out)).toMatch(/status/);
    // A schema that embeds another (PluginsResponse holds PluginStatus) builds both, and checks through both.
    const plugin = { name: 'p', lifecycle: 'oneShot', state: 'nope', intervals: [] };
    expect(String(wire.PluginsResponse({ plugins: [plugin] }))).toMatch(/^plugins\[0\]\.state must be /);
    expect(wire.PluginStatus.allows({ ...plugin, state: 'running' })).toBe(true);
  });
});
