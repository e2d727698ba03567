// Each refusal of the receiver, against a real cloud daemon over loopback: the status and reason, and
// nothing stored (the store's count is read before and after).
import { readFileSync } from 'node:fs';
import { parseSecretText, sign } from '@routerd/host/keys';
import { TestDaemon } from '@routerd/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, keyFile, newRoot, storedCount, writeNode } from './support/federation.js';

let cloud: TestDaemon;
let url: string;
let keys: ReturnType<typeof parseSecretText>;
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
  url = `http://127.0.0.1:${port}/v1/events`;
});
afterAll(() => cloud?.stop());

let n = 0;
function ce(over: Record<string, unknown> = {}) {
  n++;
  return {
    specversion: '1.0',
    id: `r-${n}`,
    source: 'urn:routerd:node:onprem',
    type: 'routerd.client.ipv4.observed',
    time: new Date().toISOString(),
    expirytime: new Date(Date.now() + 600_000).toISOString(),
    datacontenttype: 'application/json',
    data: { address: `10.88.60.${n}/32`, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
    routerdgroup: 'edge',
    ...over,
  };
}

async function send(
  body: string,
  o: { keys?: typeof keys; node?: string; ts?: number; id?: string; type?: string } = {},
) {
  const buf = Buffer.from(body);
  const headers = {
    ...sign(
      o.keys ?? keys,
      o.id ?? `w-${n}-${Math.random().toString(36).slice(2)}`,
      o.ts ?? Date.now() / 1000,
      buf,
    ),
    'routerd-node': o.node ?? 'onprem',
    'content-type': o.type ?? 'application/cloudevents-batch+json',
  };
  const res = await fetch(url, { method: 'POST', headers, body: buf });
  return {
    status: res.status,
    body: (await res.json()) as {
      error?: { code: string; issues?: { path: string }[] };
      accepted?: string[];
      duplicates?: string[];
      replay?: boolean;
    },
  };
}

describe('receiver refusals (real daemon)', () => {
  it('accepts a well-signed batch, and answers a replayed webhook-id as duplicates without reprocessing', async () => {
    const body = JSON.stringify([ce(), ce()]);
    const first = await send(body, { id: 'replay-me' });
    expect(first).toMatchObject({ status: 200, body: { accepted: [`r-${n - 1}`, `r-${n}`] } });
    const before = await storedCount(cloud.stateDir);
    expect(await send(body, { id: 'replay-me' })).toMatchObject({
      status: 200,
      body: { replay: true, duplicates: [`r-${n - 1}`, `r-${n}`] },
    });
    expect(await storedCount(cloud.stateDir)).toBe(before);
  });

  const cases: [
    string,
    () => Promise<{ status: number; body: { error?: { code: string } } }>,
    number,
    string,
  ][] = [
    ['a bad signature', () => send(JSON.stringify([ce()]), { keys: otherKeys }), 401, 'unauthorized'],
    [
      'a missing signature',
      async () => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents-batch+json', 'routerd-node': 'onprem' },
          body: JSON.stringify([ce()]),
        });
        return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
      },
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
  ];

  it.each(cases)('refuses %s with its status and stores nothing', async (_name, call, status, code) => {
    const before = await storedCount(cloud.stateDir);
    const res = await call();
    expect(res.status).toBe(status);
    expect(res.body.error?.code).toBe(code);
    expect(await storedCount(cloud.stateDir)).toBe(before);
  });

  it('counts every refusal by reason in /metrics', async () => {
    const { controlGetText } = await import('./support/federation.js');
    const text = await controlGetText(cloud.stateDir, '/metrics');
    for (const reason of [
      'signature',
      'timestamp',
      'wrong-group',
      'wrong-source',
      'malformed',
      'oversize',
      'media-type',
    ]) {
      expect(text).toMatch(new RegExp(`routerd_receiver_refused_total\\{reason="${reason}"\\} [1-9]`));
    }
  });
});
