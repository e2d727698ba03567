import { createHook } from 'node:async_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { definePlugin, type RunContext } from '../src/server/index.js';
import { createTestHost, makeEvent, type TestHost } from '../src/testing/index.js';

// The warm plugin/run path, host and plugin in one process (createTestHost): what a call costs beyond
// the work, and that the cheap path still ends a call the ways the protocol says.

const observed = makeEvent({
  type: 'routerd.client.ipv4.observed',
  payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});

const RealAbortController = globalThis.AbortController;
let made = 0;
class CountedAbortController extends RealAbortController {
  constructor() {
    super();
    made++;
  }
}

/** What `calls` warm runs cost: promises made (both sides) and JSON texts parsed, per call. */
async function perCall(testHost: TestHost, calls: number): Promise<{ promises: number; parses: number }> {
  let promises = 0;
  let parses = 0;
  const realParse = JSON.parse;
  JSON.parse = (...args: Parameters<typeof JSON.parse>) => {
    parses++;
    return realParse(...args);
  };
  const hook = createHook({
    init: (_id, type) => {
      if (type === 'PROMISE') promises++;
    },
  }).enable();
  try {
    for (let i = 0; i < calls; i++) await testHost.run({ events: [observed] });
  } finally {
    hook.disable();
    JSON.parse = realParse;
  }
  return { promises: promises / calls, parses: parses / calls };
}

let host: TestHost | undefined;
afterEach(async () => {
  globalThis.AbortController = RealAbortController;
  await host?.close();
  host = undefined;
});

describe('a warm plugin/run', () => {
  it('makes no AbortController on either side when the handler never reads its signal', async () => {
    const plugin = definePlugin({ name: 'p', version: '1', capabilities: [], run: () => ({}) });
    host = await createTestHost(plugin, { granted: [] });
    await host.run({ events: [observed] });
    made = 0;
    globalThis.AbortController = CountedAbortController;
    for (let i = 0; i < 5; i++) await host.run({ events: [observed] });
    expect(made).toBe(0);
  });

  // Issue 18: json-rpc-2.0's server made ~20 promises a call (its generator steps, its middleware chain);
  // the connection now answers a synchronous handler in the turn it returns.
  it('costs a handful of promises on both sides together, not one per layer', async () => {
    const sync = definePlugin({ name: 'p', version: '1', capabilities: [], run: () => ({}) });
    host = await createTestHost(sync, { granted: [] });
    await host.run({ events: [observed] });
    expect((await perCall(host, 5)).promises).toBeLessThanOrEqual(6);
    await host.close();

    const async = definePlugin({ name: 'p', version: '1', capabilities: [], run: async () => ({}) });
    host = await createTestHost(async, { granted: [] });
    await host.run({ events: [observed] });
    expect((await perCall(host, 5)).promises).toBeLessThanOrEqual(10);
  });

  // Issue 18: a timer per call on each side (each delay a new timer list in Node) cost more than the
  // rest of the call's bookkeeping; the deadlines of a connection's calls now share one timer.
  it('arms no timer per call on either side: the deadlines share one', async () => {
    const plugin = definePlugin({ name: 'p', version: '1', capabilities: [], run: async () => ({}) });
    host = await createTestHost(plugin, { granted: [] });
    await host.run({ events: [observed] });
    const armed = vi.spyOn(globalThis, 'setTimeout');
    try {
      for (let i = 0; i < 5; i++) await host.run({ events: [observed] });
      expect(armed).not.toHaveBeenCalled();
    } finally {
      armed.mockRestore();
    }
  });

  it('parses each message once: a result that passes its check is not read back', async () => {
    const plugin = definePlugin({
      name: 'p',
      version: '1',
      capabilities: ['propose.dynamicConfig'],
      run: () => ({ ttl: '300s', resources: [] }),
    });
    host = await createTestHost(plugin, { granted: ['propose.dynamicConfig'] });
    await host.run({ events: [observed] });
    // One request line read by the plugin, one answer line read by the host.
    expect((await perCall(host, 3)).parses).toBe(2);
  });

  it('still sends a result whose optional fields are undefined, as JSON reads it', async () => {
    const plugin = definePlugin({
      name: 'p',
      version: '1',
      capabilities: ['propose.dynamicConfig'],
      run: () => ({ ttl: undefined, resources: [], diagnostics: undefined }),
    });
    host = await createTestHost(plugin, { granted: ['propose.dynamicConfig'] });
    const result = await host.run({ events: [observed] });
    expect(Object.keys(result.status).sort()).toEqual(['observedAt', 'resources']);
  });

  it('hands the handler a signal that aborts when the host cancels, read when the handler wants it', async () => {
    let seen: AbortSignal | undefined;
    const plugin = definePlugin({
      name: 'p',
      version: '1',
      capabilities: [],
      run: (_request, ctx) =>
        new Promise((_resolve, reject) => {
          seen = ctx.signal;
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
    });
    host = await createTestHost(plugin, { granted: [] });
    const cancel = new AbortController();
    const run = host.run({ events: [] }, { signal: cancel.signal });
    await expect.poll(() => seen).toBeDefined();
    cancel.abort();
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect.poll(() => seen?.aborted).toBe(true);
  });

  it('ends a handler that ignores its signal at the deadline, with -32032', async () => {
    const plugin = definePlugin({
      name: 'p',
      version: '1',
      capabilities: [],
      run: () => new Promise(() => {}),
    });
    host = await createTestHost(plugin, { granted: [] });
    const run = host.run({ events: [], timeoutMs: 200 }, { timeoutMs: 5000 });
    await expect(run).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT', details: { rpcCode: -32032 } });
  });

  it('gives a context that keeps its signal when spread, like any plain object', async () => {
    let spread: Partial<RunContext<unknown>> = {};
    const plugin = definePlugin({
      name: 'p',
      version: '1',
      capabilities: [],
      run: (_request, ctx) => {
        spread = { ...ctx };
        return {};
      },
    });
    host = await createTestHost(plugin, { granted: [] });
    await host.run({ events: [] });
    expect(spread.signal).toBeInstanceOf(AbortSignal);
    expect(Object.keys(spread).sort()).toEqual(
      [
        'config',
        'deadline',
        'granted',
        'host',
        'log',
        'planActions',
        'progress',
        'publish',
        'requestId',
        'signal',
      ].sort(),
    );
  });
});
