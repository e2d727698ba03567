// Each refusal of the receiver, against a real cloud daemon over loopback: the status and reason, a JSON
// error body, and nothing stored (the store's count is read before and after).
import { readFileSync } from 'node:fs';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { parseSecretText } from '@routerd/host/keys';
import { TestDaemon } from '@routerd/host/testing';
import { MAX_JSON_DEPTH } from '@routerd/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlGetText, freePort, keyFile, newRoot, storedCount, writeNode } from './support/federation.js';
import {
  answerOf,
  cloudEvent as ce,
  type Keys,
  postSigned,
  type ReceiverAnswer,
} from './support/receiver.js';

let cloud: TestDaemon;
let base: string;
let url: string;
let keys: Keys;
const otherKeys = parseSecretText('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');

beforeAll(async () => {
  const root = newRoot();
  const key = keyFile(root);
  keys = parseSecretText(readFileSync(key, 'utf8'));
  const port = await freePort();
  const node = writeNode(root, {
    name: 'cloud',
    port,
    key,
    peers: [
      { name: 'onprem', port: await freePort() },
      { name: 'other', port: await freePort() },
    ],
  });
  cloud = await TestDaemon.start({ configFiles: [node.config], stateDir: node.stateDir });
  base = `http://127.0.0.1:${port}`;
  url = `${base}/v1/events`;
});
afterAll(() => cloud?.stop());

function send(
  body: string,
  o: { keys?: Keys; node?: string; ts?: number; id?: string; type?: string; path?: string } = {},
) {
  return postSigned(o.path ? `${base}${o.path}` : url, { keys: o.keys ?? keys, body, ...o });
}

/** A batch signed over its plain bytes but sent compressed, as a peer that trusted the receiver to inflate would. */
function sendCompressed(encoding: string, compress: (b: Buffer) => Buffer) {
  const body = JSON.stringify([ce()]);
  return postSigned(url, {
    keys,
    body,
    wire: compress(Buffer.from(body)),
    headers: { 'content-encoding': encoding },
  });
}

/** `data` nested `depth` levels deep: `{"a":[[[…]]]}`. */
function deeplyNested(depth: number) {
  return JSON.stringify([ce({ type: 'x.deep', data: { a: 'PLACEHOLDER' } })]).replace(
    '"PLACEHOLDER"',
    `${'['.repeat(depth)}${']'.repeat(depth)}`,
  );
}

describe('receiver refusals (real daemon)', () => {
  it('accepts a well-signed batch, and answers a replayed webhook-id as duplicates without reprocessing', async () => {
    const body = JSON.stringify([ce(), ce()]);
    const [a, b] = (JSON.parse(body) as { id: string }[]).map((e) => e.id);
    const first = await send(body, { id: 'replay-me' });
    expect(first).toMatchObject({ status: 200, body: { accepted: [a, b] } });
    const before = await storedCount(cloud.stateDir);
    expect(await send(body, { id: 'replay-me' })).toMatchObject({
      status: 200,
      body: { replay: true, duplicates: [a, b] },
    });
    expect(await storedCount(cloud.stateDir)).toBe(before);
  });

  it('parses the media type case-insensitively, with parameters: a batch stays a batch', async () => {
    const events = [ce(), ce()];
    const res = await send(JSON.stringify(events), {
      type: 'Application/CloudEvents-Batch+JSON ; charset="UTF-8"',
    });
    expect(res).toMatchObject({ status: 200, body: { accepted: events.map((e) => e.id) } });
    const single = ce();
    expect(
      await send(JSON.stringify(single), { type: 'APPLICATION/CLOUDEVENTS+JSON;charset=utf-8' }),
    ).toMatchObject({ status: 200, body: { accepted: [single.id] } });
  });

  const cases: [string, () => Promise<ReceiverAnswer>, number, string][] = [
    ['a bad signature', () => send(JSON.stringify([ce()]), { keys: otherKeys }), 401, 'unauthorized'],
    [
      'a missing signature',
      async () =>
        answerOf(
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/cloudevents-batch+json', 'routerd-node': 'onprem' },
            body: JSON.stringify([ce()]),
          }),
        ),
      401,
      'unauthorized',
    ],
    [
      'a timestamp outside the replay window',
      () => send(JSON.stringify([ce()]), { ts: Date.now() / 1000 - 400 }),
      401,
      'unauthorized',
    ],
    [
      'an event of another group',
      () => send(JSON.stringify([ce(), ce({ routerdgroup: 'elsewhere' })])),
      403,
      'wrong-group',
    ],
    [
      'an event whose source is not the sender',
      () => send(JSON.stringify([ce({ source: 'urn:routerd:node:other' })])),
      403,
      'wrong-source',
    ],
    ['a malformed event', () => send(JSON.stringify([ce({ time: 'soon' })])), 400, 'malformed'],
    ['an empty batch', () => send('[]'), 400, 'malformed'],
    ['a body nested 5000 levels deep', () => send(deeplyNested(5000)), 400, 'malformed'],
    ['a body nested 65 levels deep', () => send(deeplyNested(62)), 400, 'malformed'],
    ['an array as data', () => send(JSON.stringify([ce({ type: 'x.any', data: [1] })])), 400, 'malformed'],
    ['a number as data', () => send(JSON.stringify([ce({ type: 'x.any', data: 5 })])), 400, 'malformed'],
    [
      'an oversize event',
      () => send(JSON.stringify([ce({ type: 'x.big', data: { b: 'x'.repeat(70_000) } })])),
      413,
      'oversize',
    ],
    [
      'an oversize body',
      () =>
        send(
          JSON.stringify(
            Array.from({ length: 40 }, () => ce({ type: 'x.big', data: { b: 'x'.repeat(30_000) } })),
          ),
        ),
      413,
      'oversize',
    ],
    [
      'a wrong content type',
      () => send(JSON.stringify([ce()]), { type: 'application/json' }),
      415,
      'media-type',
    ],
    [
      'two media types in one content type',
      () => send(JSON.stringify([ce()]), { type: 'application/cloudevents-batch+json, application/json' }),
      415,
      'media-type',
    ],
    [
      'a charset other than utf-8',
      () => send(JSON.stringify([ce()]), { type: 'application/cloudevents-batch+json; charset=latin1' }),
      415,
      'media-type',
    ],
    ['a gzip body', () => sendCompressed('gzip', gzipSync), 415, 'content-encoding'],
    ['a deflate body', () => sendCompressed('deflate', deflateSync), 415, 'content-encoding'],
    ['a brotli body', () => sendCompressed('br', brotliCompressSync), 415, 'content-encoding'],
    ['an unknown path', async () => answerOf(await fetch(`${base}/v1/nope`)), 404, 'not-found'],
    [
      'a signed batch to an upper-case path',
      () => send(JSON.stringify([ce()]), { path: '/V1/EVENTS' }),
      404,
      'not-found',
    ],
    [
      'a signed batch to a path with a trailing slash',
      () => send(JSON.stringify([ce()]), { path: '/v1/events/' }),
      404,
      'not-found',
    ],
    ['GET on the events path', async () => answerOf(await fetch(url)), 405, 'method'],
    [
      'OPTIONS on the events path',
      async () => answerOf(await fetch(url, { method: 'OPTIONS' })),
      405,
      'method',
    ],
    [
      'POST on the health path',
      async () => answerOf(await fetch(`${base}/v1/health`, { method: 'POST', body: '{}' })),
      405,
      'method',
    ],
  ];

  it.each(cases)(
    'refuses %s with its status, a JSON error and stores nothing',
    async (_name, call, status, code) => {
      const before = await storedCount(cloud.stateDir);
      const res = await call();
      expect(res.status, res.text.slice(0, 300)).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body?.error).toMatchObject({ code, message: expect.any(String) });
      expect(await storedCount(cloud.stateDir)).toBe(before);
    },
  );

  it('names the allowed methods of a known path in Allow', async () => {
    expect((await fetch(url, { method: 'OPTIONS' })).headers.get('allow')).toBe('POST');
    expect((await fetch(`${base}/v1/health`, { method: 'DELETE' })).headers.get('allow')).toBe('GET, HEAD');
  });

  it('accepts an event whose data nests as deep as the event rules allow, names its data one level deeper, and reads brackets inside strings as text', async () => {
    // data: { a: [[…]] } nests 1 + depth levels; an event's data may nest MAX_JSON_DEPTH (32).
    const res = await send(deeplyNested(MAX_JSON_DEPTH - 1));
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    // Deeper, up to the body scan's 64 levels, the event rules refuse it by name.
    for (const depth of [MAX_JSON_DEPTH, 61])
      expect(await send(deeplyNested(depth))).toMatchObject({
        status: 400,
        body: {
          error: {
            code: 'malformed',
            issues: [
              {
                path: '/0/data',
                message: `payload must be JSON nested at most ${MAX_JSON_DEPTH} levels deep (was deeper)`,
              },
            ],
          },
        },
      });
    // Brackets inside strings are text, not nesting.
    const brackets = ce({ type: 'x.text', data: { s: `"${'['.repeat(500)}` } });
    expect(await send(JSON.stringify([brackets]))).toMatchObject({
      status: 200,
      body: { accepted: [brackets.id] },
    });
  });

  it('answers a request line Node cannot parse with a JSON 400', async () => {
    const { connect } = await import('node:net');
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(base).port), '127.0.0.1', () =>
        socket.write('POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'),
      );
      let got = '';
      socket.setEncoding('utf8').on('data', (c: string) => {
        got += c;
      });
      socket.on('close', () => resolve(got)).on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 'bad-request' },
    });
  });

  it('counts every refusal by reason in /metrics', async () => {
    const text = await controlGetText(cloud.stateDir, '/metrics');
    for (const reason of [
      'signature',
      'timestamp',
      'wrong-group',
      'wrong-source',
      'malformed',
      'oversize',
      'media-type',
      'content-encoding',
      'not-found',
      'method',
      'bad-request',
    ]) {
      expect(text).toMatch(new RegExp(`routerd_receiver_refused_total\\{reason="${reason}"\\} [1-9]`));
    }
  });
});
