import { afterEach, describe, expect, it } from 'vitest';
import { makeRequest } from '../src/testing/index.js';
import { fixture, RawPeer } from './helpers.js';

// These tests speak raw lines to an SDK plugin: they pin down the wire behaviour docs/protocol.md promises.
let peer: RawPeer;
afterEach(async () => {
  await peer?.close();
});

const rpc = (id: number | string, method: string, params?: unknown) =>
  `${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`;

describe('SDK plugin on the wire', () => {
  it('answers invalid JSON with -32700 and id null, then keeps going', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    peer.send('{not json\n');
    expect(await peer.next()).toMatchObject({ id: null, error: { code: -32700 } });
    peer.send(rpc(2, 'ping'));
    expect(await peer.next()).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
  });

  it('refuses batches with -32600', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    peer.send(`[${rpc(1, 'ping').trim()}]\n`);
    const msg = await peer.next();
    expect(msg.error.code).toBe(-32600);
    expect(msg.error.message).toMatch(/batches are not supported/);
  });

  it('answers an unknown method with -32601', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    peer.send(rpc(3, 'vendor/unknown'));
    expect(await peer.next()).toMatchObject({ id: 3, error: { code: -32601 } });
  });

  it('refuses plugin/run before initialized with -32030', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    peer.send(rpc(4, 'plugin/run', makeRequest()));
    expect(await peer.next()).toMatchObject({ id: 4, error: { code: -32030 } });
  });

  it('answers bad params with -32602 and JSON Pointer paths', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    await peer.initialize();
    const req = makeRequest();
    (req.spec as Record<string, unknown>).now = 'yesterday';
    peer.send(rpc(5, 'plugin/run', req));
    const msg = await peer.next();
    expect(msg.error.code).toBe(-32602);
    expect(msg.error.data.issues[0].path).toBe('/spec/now');
  });

  it('refuses an unsupported protocol version with -32022 and both versions', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    peer.send(
      rpc(1, 'initialize', {
        protocolVersion: 7,
        supportedProtocolVersions: [7],
        host: { name: 't', version: '0' },
        plugin: { name: 'p' },
        grantedCapabilities: [],
        config: {},
        limits: { maxMessageBytes: 1024, maxInFlight: 1, defaultTimeoutMs: 1000 },
      }),
    );
    expect(await peer.next()).toMatchObject({
      error: { code: -32022, data: { supported: [1], requested: 7 } },
    });
  });

  it('accepts CRLF line endings and Unicode, and answers a 1 MiB message', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    await peer.initialize();
    const req = makeRequest({
      trigger: { type: 'manual', topic: `日本語-ünïcödé-${'x'.repeat(1024 * 1024)}` },
    });
    peer.send(`${JSON.stringify({ jsonrpc: '2.0', id: 'u1', method: 'plugin/run', params: req })}\r\n`);
    const msg = await peer.next();
    expect(msg.id).toBe('u1');
    expect(msg.result.kind).toBe('PluginResult');
  });

  it('refuses a line over the limit initialize negotiated with -32600 (id null), then reads the next', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    await peer.initialize(4096);
    peer.send(rpc('big', 'ping', { pad: 'x'.repeat(8192) }));
    expect(await peer.next()).toMatchObject({
      id: null,
      error: { code: -32600, message: expect.stringMatching(/exceeds the limit of 4096/) },
    });
    peer.send(rpc('small', 'ping', { pad: 'x'.repeat(2048) }));
    expect(await peer.next()).toEqual({ jsonrpc: '2.0', id: 'small', result: {} });
  });

  it('sends nothing for a cancelled request and exits promptly on stdin EOF', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    await peer.initialize();
    peer.send(rpc(9, 'plugin/run', makeRequest({ trigger: { type: 'manual', topic: 'sleep:3000' } })));
    const progress = await peer.next();
    expect(progress.method).toBe('notifications/progress');
    peer.send(
      `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9 } })}\n`,
    );
    peer.send(rpc(10, 'ping'));
    expect(await peer.next()).toMatchObject({ id: 10, result: {} });
    await new Promise((r) => setTimeout(r, 200));
    expect(peer.messages.filter((m) => (m as { id?: unknown }).id === 9)).toEqual([]);
    const started = Date.now();
    expect(await peer.close()).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a plugin that throws answers -32603 with a sanitised message', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    await peer.initialize();
    peer.send(rpc(11, 'plugin/run', makeRequest({ trigger: { type: 'manual', topic: 'throw' } })));
    const msg = await peer.next();
    expect(msg.error).toEqual({ code: -32603, message: 'internal error: boom' });
  });

  it('answers -32033 to work after shutdown', async () => {
    peer = new RawPeer(fixture('good-plugin.mjs'));
    await peer.initialize();
    peer.send(rpc(12, 'shutdown'));
    expect(await peer.next()).toMatchObject({ id: 12, result: {} });
    peer.send(rpc(13, 'plugin/run', makeRequest()));
    expect(await peer.next()).toMatchObject({ id: 13, error: { code: -32033 } });
  });
});
