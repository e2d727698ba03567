import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { type Event, MAX_JSON_DEPTH } from '@routerd/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { MEDIA_BATCH, toCloudEvent } from '../../src/federation/cloudevents.js';
import { MAX_BODY_DEPTH } from '../../src/federation/json-depth.js';
import { PeerClient } from '../../src/federation/peer-client.js';
import {
  createReceiverHandler,
  listenReceiver,
  type ReceiveOutcome,
  type ReceiverStore,
  type RefusalReason,
} from '../../src/federation/receiver.js';
import { generateSecret, parseSecretText } from '../../src/federation/secrets.js';
import { sign } from '../../src/federation/signing.js';
import { LIMITS, listenOnLoopback } from './loopback-receiver.js';

// The receiver over real loopback HTTP, with an in-memory store standing in for SQLite (the daemon tests
// exercise the real one); each refusal must answer its status and store nothing.
const onpremKeys = parseSecretText(generateSecret());
const otherKeys = parseSecretText(generateSecret());
const clock = new ManualClock(Date.parse('2026-11-27T06:00:00Z'));

class MemoryStore implements ReceiverStore {
  events = new Map<string, Event>();
  webhooks = new Set<string>();
  /** Set to make the next commits throw, as SQLite does when the disk is full. */
  failWith?: Error;
  webhookSeen(sender: string, id: string) {
    return this.webhooks.has(`${sender}/${id}`);
  }
  commitReceived(sender: string, id: string, events: Event[]): ReceiveOutcome {
    if (this.failWith) throw this.failWith;
    this.webhooks.add(`${sender}/${id}`);
    const out: ReceiveOutcome = { accepted: [], duplicates: [], rejected: [] };
    for (const e of events) {
      if (this.events.has(e.id)) out.duplicates.push(e.id);
      else {
        this.events.set(e.id, e);
        out.accepted.push(e.id);
      }
    }
    return out;
  }
}

const store = new MemoryStore();
const refused: RefusalReason[] = [];
const errors: { message: string; sender?: string }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  ({ server, base } = await listenOnLoopback({
    keysFor: (node) => ({ onprem: onpremKeys, other: otherKeys })[node],
    store,
    clock,
    metrics: { refused: (r) => refused.push(r), received: () => {}, replayed: () => {} },
    onError: (err, sender) => errors.push({ message: err.message, sender }),
  }));
});
afterAll(() => server.close());

let seq = 0;
function event(over: Partial<Event> = {}): Event {
  seq++;
  return {
    id: `ev-${seq}`,
    group: 'edge',
    sourceNode: 'onprem',
    type: 'routerd.client.ipv4.observed',
    payload: { address: `10.88.60.${seq % 250}/32`, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
    observedAt: '2026-11-27T06:00:00Z',
    expiresAt: '2026-11-27T06:05:00Z',
    ...over,
  };
}

interface SendOptions {
  node?: string;
  keys?: typeof onpremKeys;
  ts?: number;
  id?: string;
  type?: string;
}

/** The headers of a delivery of `body`: signed (a fresh webhook-id unless given), sender, media type. */
function signedHeaders(body: Buffer, opts: SendOptions = {}): Record<string, string> {
  return {
    ...sign(opts.keys ?? onpremKeys, opts.id ?? `b_${seq++}`, opts.ts ?? clock.now() / 1000, body),
    'routerd-node': opts.node ?? 'onprem',
    'content-type': opts.type ?? MEDIA_BATCH,
  };
}

async function post(body: string, opts: SendOptions & { path?: string } = {}) {
  const buf = Buffer.from(body);
  const res = await fetch(`${base}${opts.path ?? '/v1/events'}`, {
    method: 'POST',
    headers: signedHeaders(buf, opts),
    body: buf,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A raw TCP connection to the receiver, for requests fetch will not send, and what it has answered. */
async function rawConnection() {
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  await once(socket, 'connect');
  const answered = { text: '' };
  socket.on('data', (chunk: Buffer) => {
    answered.text += chunk.toString();
  });
  return { socket, answered };
}
const batch = (...events: Event[]) => JSON.stringify(events.map(toCloudEvent));

describe('receiver', () => {
  it('stores a signed batch and lists accepted and duplicate ids', async () => {
    const a = event();
    const b = event();
    expect(await post(batch(a, b))).toEqual({
      status: 200,
      body: { accepted: [a.id, b.id], duplicates: [], rejected: [] },
    });
    expect(await post(batch(a))).toMatchObject({ status: 200, body: { accepted: [], duplicates: [a.id] } });
    expect(store.events.get(a.id)).toEqual(a);
  });

  it('stores a batch laid out with whitespace, multi-byte text and escapes as sent', async () => {
    const a = event({ subject: 'caf\u00e9 \u{1F600}, "quoted" [x]' });
    const b = event();
    const text = `\n [ ${JSON.stringify(toCloudEvent(a), null, 2)} ,\r\n\t${JSON.stringify(toCloudEvent(b))} ]\n`;
    expect(await post(text)).toMatchObject({ status: 200, body: { accepted: [a.id, b.id] } });
    expect(store.events.get(a.id)).toEqual(a);
  });

  it('answers without an ETag: nothing revalidates the answer to a POST, and hashing it costs each request', async () => {
    const body = Buffer.from(batch(event()));
    const res = await fetch(`${base}/v1/events`, { method: 'POST', headers: signedHeaders(body), body });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBeNull();
  });

  it('answers a replayed webhook-id as a duplicate without reprocessing', async () => {
    const a = event();
    const first = await post(batch(a), { id: 'replay-1' });
    expect(first.status).toBe(200);
    store.events.delete(a.id); // if it were reprocessed, it would be stored again
    const again = await post(batch(a), { id: 'replay-1' });
    expect(again).toMatchObject({ status: 200, body: { duplicates: [a.id], replay: true } });
    expect(store.events.has(a.id)).toBe(false);
  });

  const refusals: [
    string,
    () => Promise<{ status: number; body: Record<string, unknown> }>,
    number,
    RefusalReason,
  ][] = [
    ['bad signature', () => post(batch(event()), { keys: otherKeys }), 401, 'signature'],
    ['unknown sender', () => post(batch(event()), { node: 'stranger' }), 401, 'unknown-sender'],
    [
      'timestamp outside the window',
      () => post(batch(event()), { ts: clock.now() / 1000 - 301 }),
      401,
      'timestamp',
    ],
    ['another group', () => post(batch(event({ group: 'other' }))), 403, 'wrong-group'],
    ['impersonating another node', () => post(batch(event({ sourceNode: 'other' }))), 403, 'wrong-source'],
    ['malformed event', () => post(batch(event({ observedAt: 'yesterday' }))), 400, 'malformed'],
    [
      'malformed payload',
      () =>
        post(
          batch(
            event({ payload: { address: '10.0.0.0/8', domain: 'lan', ownerSide: 'onprem', source: 'arp' } }),
          ),
        ),
      400,
      'malformed',
    ],
    ['not JSON', () => post('{nope'), 400, 'malformed'],
    // Batches are parsed element by element (json-array-elements.ts); what is not one JSON array still
    // goes to JSON.parse whole and is refused as it was.
    ['a batch with bytes after its array', () => post(`${batch(event())} x`), 400, 'malformed'],
    ['a batch with an empty element', () => post(`${batch(event()).slice(0, -1)},]`), 400, 'malformed'],
    ['two arrays', () => post(`${batch(event())}${batch(event())}`), 400, 'malformed'],
    [
      'oversize event',
      () => post(batch(event({ type: 'x.big', payload: { blob: 'a'.repeat(70_000) } }))),
      413,
      'oversize',
    ],
    [
      'an oversize event between small ones',
      () => post(batch(event(), event({ type: 'x.big', payload: { blob: 'a'.repeat(70_000) } }), event())),
      413,
      'oversize',
    ],
    [
      'oversize body',
      () =>
        post(
          batch(
            ...Array.from({ length: 40 }, () =>
              event({ type: 'x.big', payload: { blob: 'a'.repeat(30_000) } }),
            ),
          ),
        ),
      413,
      'oversize',
    ],
    ['wrong media type', () => post(batch(event()), { type: 'application/json' }), 415, 'media-type'],
  ];

  it.each(refusals)('refuses %s with its status and stores nothing', async (_name, send, status, reason) => {
    const before = store.events.size;
    refused.length = 0;
    const res = await send();
    expect(res.status).toBe(status);
    expect(refused).toEqual([reason]);
    expect(store.events.size).toBe(before);
    if (status === 401)
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'unauthorized' } });
  });

  it('names the field of a malformed event', async () => {
    const res = await post(batch(event(), event({ observedAt: 'yesterday' })));
    expect((res.body.error as { issues: { path: string }[] }).issues[0]?.path).toBe('/1/time');
  });

  it('refuses an event nested deeper than MAX_JSON_DEPTH with a 400 naming its data (never a 500)', async () => {
    const good = event();
    // Written as text: JSON.stringify itself cannot write a value 30,000 levels deep.
    const withData = (levels: number) =>
      JSON.stringify([
        toCloudEvent(good),
        toCloudEvent(event({ type: 'example.nested', payload: { marker: 1 } })),
      ]).replace('{"marker":1}', `${'{"x":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`);
    // Up to the body's own bound (MAX_BODY_DEPTH, scanned before parsing): the field is named.
    for (const levels of [MAX_JSON_DEPTH + 1, MAX_BODY_DEPTH - 2]) {
      expect(await post(withData(levels))).toEqual({
        status: 400,
        body: {
          error: {
            code: 'malformed',
            message: `/1/data: payload must be JSON nested at most ${MAX_JSON_DEPTH} levels deep (was deeper)`,
            issues: [
              {
                path: '/1/data',
                message: `payload must be JSON nested at most ${MAX_JSON_DEPTH} levels deep (was deeper)`,
              },
            ],
          },
        },
      });
    }
    expect((await post(withData(30_000))).body.error).toMatchObject({
      code: 'malformed',
      message: expect.stringMatching(/^body nests deeper than 64 levels/),
    });
    expect(errors).toEqual([]);
    expect(store.events.has(good.id)).toBe(false);
    // At the bound, it is stored.
    expect(await post(withData(MAX_JSON_DEPTH))).toMatchObject({
      status: 200,
      body: { accepted: [good.id, expect.stringMatching(/^ev-/)] },
    });
  });

  it('names every event the sender may not send (another source, another group), so the sender can fail those alone', async () => {
    const good = event();
    const res = await post(batch(good, event({ sourceNode: 'other' }), event(), event({ group: 'other' })));
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: 'wrong-source',
      path: '/1/source',
      issues: [
        {
          path: '/1/source',
          message: expect.stringMatching(/claims source node "other" but was signed by "onprem"$/),
        },
        { path: '/3/routerdgroup', message: expect.stringMatching(/is for group "other", this is "edge"$/) },
      ],
    });
    expect(store.events.has(good.id)).toBe(false);
  });

  it('a batch with one bad event stores none of it', async () => {
    const good = event();
    await post(batch(good, event({ sourceNode: 'other' })));
    expect(store.events.has(good.id)).toBe(false);
  });

  it('a store that cannot commit (disk full) answers a generic 500 and reports the error for the log', async () => {
    store.failWith = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    try {
      const ev = event();
      expect(await post(batch(ev))).toEqual({
        status: 500,
        body: { error: { code: 'internal', message: 'internal error' } },
      });
      expect(errors).toEqual([{ message: 'database or disk is full', sender: 'onprem' }]);
      expect(store.events.has(ev.id)).toBe(false);
    } finally {
      store.failWith = undefined;
    }
  });

  it('serves a path by its path alone: a query string after it changes nothing', async () => {
    const ev = event();
    const res = await post(batch(ev), { path: '/v1/events?from=onprem' });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toEqual([ev.id]);
  });

  it('answers HEAD on health with the headers of GET and no body', async () => {
    const res = await fetch(`${base}/v1/health`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-length')).toBe(String(JSON.stringify({ status: 'ok' }).length));
    expect(await res.text()).toBe('');
  });

  it('a body cut short (the client stops before its Content-Length) stores nothing, and the next request is served', async () => {
    const before = store.events.size;
    errors.length = 0;
    const body = Buffer.from(batch(event()));
    const headers = { ...signedHeaders(body), 'content-length': String(body.length) };
    const { socket, answered } = await rawConnection();
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(`POST /v1/events HTTP/1.1\r\nhost: x\r\n${head}\r\n${body.subarray(0, 40).toString()}`);
    await once(socket, 'close');
    // Node's parser reports the early end; the listener answers it as not valid HTTP/1.1, not as a 500.
    expect(answered.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(store.events.size).toBe(before);
    expect(errors).toEqual([]);
    const next = event();
    expect((await post(batch(next))).body.accepted).toEqual([next.id]);
  });

  it('a body sent without end past the limit is refused (413) and its connection closed, not read until the request times out', async () => {
    const { socket, answered } = await rawConnection();
    // Once the receiver has answered and closed, what this side still sends is refused by the kernel.
    socket.on('error', () => {});
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const drained = () =>
      new Promise((resolve) => {
        socket.once('drain', resolve);
        socket.once('close', resolve);
      });
    socket.write(
      `POST /v1/events HTTP/1.1\r\nhost: x\r\ncontent-type: ${MEDIA_BATCH}\r\ntransfer-encoding: chunked\r\n\r\n`,
    );
    const chunk = `10000\r\n${'x'.repeat(0x10000)}\r\n`;
    // Sent until answered: 64 MiB at most, so a receiver that reads without end lets the request time out (408).
    for (let sent = 0; answered.text === '' && !socket.destroyed && sent < 64 * 2 ** 20; sent += 0x10000) {
      if (!socket.write(chunk)) await drained();
    }
    await closed;
    expect(answered.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(answered.text).toMatch(/connection: close/i);
  });

  it('a refusal whose reporting throws is answered as a generic 500, and the receiver keeps serving', async () => {
    const reported: string[] = [];
    const { server: broken, base: at } = await listenOnLoopback({
      keysFor: () => undefined,
      store,
      clock,
      onRefused: () => {
        throw new Error('the log sink is down');
      },
      onError: (err) => reported.push(err.message),
    });
    try {
      // Refused before the body is read, inside the request listener itself.
      const res = await fetch(`${at}/v1/nope`);
      expect([res.status, await res.json()]).toEqual([
        500,
        { error: { code: 'internal', message: 'internal error' } },
      ]);
      expect(reported).toEqual(['the log sink is down']);
      expect((await fetch(`${at}/v1/health`)).status).toBe(200);
    } finally {
      broken.close();
    }
  });

  it('a failure whose own report throws drops that connection only: the receiver keeps serving', async () => {
    const failing = new MemoryStore();
    failing.failWith = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const { server: broken, base: at } = await listenOnLoopback({
      keysFor: (node) => (node === 'onprem' ? onpremKeys : undefined),
      store: failing,
      clock,
      onError: () => {
        throw new Error('the log sink is down');
      },
    });
    try {
      const body = Buffer.from(batch(event()));
      const headers = signedHeaders(body);
      await expect(fetch(`${at}/v1/events`, { method: 'POST', headers, body })).rejects.toThrow();
      expect(failing.events.size).toBe(0);
      expect((await fetch(`${at}/v1/health`)).status).toBe(200);
    } finally {
      broken.close();
    }
  });

  it('answers health without details', async () => {
    const res = await fetch(`${base}/v1/health`);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('refuses a wildcard listen address unless allowed', async () => {
    const app = createReceiverHandler({
      group: 'g',
      node: 'cloud',
      replayWindowMs: 1,
      bodyLimitBytes: 1,
      keysFor: () => undefined,
      store,
      clock,
    });
    await expect(
      listenReceiver(app, { address: '0.0.0.0', port: 0, allowWildcard: false, ...LIMITS }),
    ).rejects.toThrow(/wildcard/);
  });
});

describe('PeerClient', () => {
  it('pushes a signed batch and reads the outcome', async () => {
    const client = new PeerClient({
      endpoint: base,
      node: 'onprem',
      keys: () => onpremKeys,
      maxSockets: 2,
      clock,
    });
    const a = event();
    const r = await client.push([a]);
    expect(r).toMatchObject({ kind: 'delivered', status: 200 });
    // The receiver's own answer is read whole: nothing rejected, nothing ignored.
    expect(r.answer).toEqual({ rejected: new Map() });
    const wrong = new PeerClient({
      endpoint: base,
      node: 'onprem',
      keys: () => otherKeys,
      maxSockets: 1,
      clock,
    });
    expect(await wrong.push([event()])).toMatchObject({ kind: 'auth', status: 401 });
    const bad = await client.push([event({ sourceNode: 'other' })]);
    expect(bad).toMatchObject({ kind: 'failed', status: 403 });
    expect(bad.kind === 'failed' && bad.reason).toMatch(/claims source node "other"/);
    client.close();
    wrong.close();
  });

  it('reports an unreachable peer as retryable', async () => {
    const client = new PeerClient({
      endpoint: 'http://127.0.0.1:9',
      node: 'onprem',
      keys: () => onpremKeys,
      maxSockets: 1,
      clock,
    });
    expect(await client.push([event()])).toMatchObject({ kind: 'retry' });
    client.close();
  });
});
