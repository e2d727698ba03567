import { afterEach, describe, expect, it } from 'vitest';
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
      ['config', 'deadline', 'granted', 'host', 'log', 'progress', 'publish', 'requestId', 'signal'].sort(),
    );
  });
});
