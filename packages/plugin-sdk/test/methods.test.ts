import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  ErrorCodes,
  InvalidResult,
  Methods,
  Notifications,
  type PluginResult,
  ProtocolError,
  Requests,
} from '../src/protocol/index.js';
import { RpcConnection } from '../src/rpc/connection.js';
import { makeRequest } from '../src/testing/index.js';

// Two connections joined back to back: what one writes, the other reads.
function pair(): { host: RpcConnection; plugin: RpcConnection } {
  const toPlugin = new PassThrough();
  const toHost = new PassThrough();
  const common = { maxMessageBytes: 1 << 20 };
  const host = new RpcConnection({ ...common, input: toHost, output: toPlugin, idPrefix: 'h:' });
  const plugin = new RpcConnection({ ...common, input: toPlugin, output: toHost, idPrefix: 'p:' });
  return { host, plugin };
}

let open: RpcConnection[] = [];
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});

describe('method descriptors', () => {
  it('cover every protocol method exactly once, under the method name the wire uses', () => {
    const described = [...Object.values(Requests), ...Object.values(Notifications)].map((d) => d.method);
    expect(new Set(described).size).toBe(described.length);
    expect(described.sort()).toEqual(Object.values(Methods).sort());
    for (const d of Object.values(Notifications)) expect(d.method.startsWith('notifications/')).toBe(true);
  });

  it('type a call by its descriptor: params in, checked result out', () => {
    const { host, plugin } = pair();
    open.push(host, plugin);
    const call = host.sendRequest(Requests.run, makeRequest()).result;
    call.catch(() => {}); // never answered: only its type matters here
    expectTypeOf(call).resolves.toEqualTypeOf<PluginResult>();
    // @ts-expect-error a run request must be a PluginRequest
    host.sendRequest(Requests.run, { nope: true }).result.catch(() => {});
  });

  it('reject an answer that fails the method result check with InvalidResult naming the path', async () => {
    const { host, plugin } = pair();
    open.push(host, plugin);
    // A plugin that answers initialize with the wrong shape: the descriptor's check catches it.
    plugin.onRequest(Requests.initialize, () => ({ protocolVersion: 'one' }) as never);
    const { result } = host.sendRequest(Requests.initialize, {
      protocolVersion: 1,
      host: { name: 'h', version: '1' },
      plugin: { name: 'p' },
      grantedCapabilities: [],
      config: {},
      limits: { maxMessageBytes: 1024, maxInFlight: 1, defaultTimeoutMs: 1000 },
    });
    const err = await result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidResult);
    expect((err as InvalidResult).method).toBe('initialize');
    expect((err as InvalidResult).issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['/protocolVersion', '/plugin', '/capabilities']),
    );
  });

  it('apply the run result second pass (well-known payloads), not only the envelope schema', async () => {
    const request = makeRequest();
    const result = {
      apiVersion: request.apiVersion,
      kind: 'PluginResult',
      metadata: { name: request.metadata.name, requestId: request.metadata.requestId },
      status: {
        observedAt: '2026-01-01T00:00:00Z',
        events: [{ type: 'routerd.client.ipv4.observed', subject: 's', payload: { address: 'not-an-ip' } }],
      },
    };
    const checked = await Requests.run.result(result);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.issues[0]?.path).toMatch(/^\/status\/events\/0\/payload/);
  });

  it('validate params at the receiving side with the descriptor schema (-32602 with the path)', async () => {
    const { host, plugin } = pair();
    open.push(host, plugin);
    plugin.onRequest(Requests.run, () => ({}) as PluginResult);
    const bad = { ...makeRequest(), kind: 'NotARequest' } as never;
    const err = await host.sendRequest(Requests.run, bad).result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(ErrorCodes.InvalidParams);
    expect((err as ProtocolError).message).toMatch(/kind/);
  });

  it('run a handler precondition before the params check, so a state error wins', async () => {
    const { host, plugin } = pair();
    open.push(host, plugin);
    plugin.onRequest(Requests.run, () => ({}) as PluginResult, {
      before: () => {
        throw new ProtocolError(ErrorCodes.NotInitialized, 'not yet');
      },
    });
    const err = await host.sendRequest(Requests.run, { bad: 1 } as never).result.catch((e: unknown) => e);
    expect((err as ProtocolError).code).toBe(ErrorCodes.NotInitialized);
  });

  it('deliver a notification through its descriptor and drop one whose params fail the schema', async () => {
    const { host, plugin } = pair();
    open.push(host, plugin);
    const seen: unknown[] = [];
    host.onNotification(Notifications.progress, (p) => seen.push(p));
    plugin.sendNotification(Notifications.progress, { requestId: 'h:1', progress: -1 });
    plugin.sendNotification(Notifications.progress, { requestId: 'h:1', progress: 2, total: 4 });
    await plugin.sendRequest(Requests.ping, {}).result.catch(() => {}); // no ping handler: a round trip to flush
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([{ requestId: 'h:1', progress: 2, total: 4 }]);
  });
});
