// The authenticated probe (POST /v1/probe) between a real receiver on loopback and the prober's client:
// what each answer proves, what each refusal tells the receiver (claimed sender, unauthenticated
// timestamp, the clock named rather than the key), and that a probe stores nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Event } from '@routerd/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { PROBE_BODY_LIMIT_BYTES } from '../../src/federation/probe-answer.js';
import { probePeer } from '../../src/federation/probe-client.js';
import type { ReceiveOutcome, RequestRefused } from '../../src/federation/receiver.js';
import { generateSecret, parseSecretText } from '../../src/federation/secrets.js';
import { sign } from '../../src/federation/signing.js';
import { listenOnLoopback } from './loopback-receiver.js';

const onpremKeys = parseSecretText(generateSecret());
const otherKeys = parseSecretText(generateSecret());

const stored = { events: 0, webhooks: 0 };
const refused: RequestRefused[] = [];
const authenticated: { sender: string; ts: number }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  // The real clock on both sides: a 401's Date header comes from the system clock, as in the daemon.
  ({ server, base } = await listenOnLoopback({
    keysFor: (node) => (node === 'onprem' ? onpremKeys : undefined),
    clock: systemClock,
    store: {
      webhookSeen: () => false,
      commitReceived: (_s: string, _id: string, events: Event[]): ReceiveOutcome => {
        stored.webhooks++;
        stored.events += events.length;
        return { accepted: events.map((e) => e.id), duplicates: [], rejected: [] };
      },
    },
    onRefused: (r) => refused.push(r),
    onAuthenticated: (sender, ts) => authenticated.push({ sender, ts }),
  }));
});
afterAll(() => server.close());

const probe = (over: Partial<Parameters<typeof probePeer>[0]> = {}) =>
  probePeer({
    endpoint: base,
    node: 'onprem',
    peerNode: 'cloud',
    keys: onpremKeys,
    replayWindowMs: 300_000,
    now: () => Date.now(),
    ...over,
  });

describe('POST /v1/probe', () => {
  it('a probe with the right key is answered, signed back, and stores nothing', async () => {
    refused.length = 0;
    authenticated.length = 0;
    const r = await probe();
    expect(r).toMatchObject({ outcome: 'ok', node: 'cloud', keyFingerprint: onpremKeys[0]!.fingerprint });
    // Same host, same clock: the offset is well inside a second or two of round trip.
    expect(r.outcome === 'ok' && Math.abs(r.clockOffsetMs)).toBeLessThan(5000);
    expect(stored).toEqual({ events: 0, webhooks: 0 });
    expect(refused).toEqual([]);
    expect(authenticated).toEqual([{ sender: 'onprem', ts: expect.any(Number) }]);
  });

  it('the wrong key: the prober reads "key", the receiver records the claimed sender and its timestamp', async () => {
    refused.length = 0;
    const r = await probe({ keys: otherKeys });
    expect(r).toMatchObject({ outcome: 'key', detail: expect.stringMatching(/same key/) });
    expect(refused).toEqual([
      {
        reason: 'signature',
        sender: 'onprem',
        timestampSeconds: expect.any(Number),
        detail: expect.stringMatching(
          /^the signature matches no key held here for this sender \(1 held; the clocks agree within \d+ s\): the two routers' key files differ$/,
        ),
      },
    ]);
  });

  it('a prober 10 minutes behind: the prober reads "clock" from the Date header, the receiver names the clock', async () => {
    refused.length = 0;
    const r = await probe({ now: () => Date.now() - 600_000 });
    expect(r).toMatchObject({ outcome: 'clock' });
    expect(r.outcome === 'clock' && Math.round(r.clockOffsetMs / 1000)).toBeGreaterThanOrEqual(598);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ reason: 'timestamp', sender: 'onprem' });
    expect(refused[0]!.detail).toMatch(
      /^webhook-timestamp is (59[89]|60[0-2]) s behind this node's clock, beyond the replay window \(300 s\): the clocks differ \(not the keys\)/,
    );
    expect(Math.floor(Date.now() / 1000) - refused[0]!.timestampSeconds!).toBeGreaterThanOrEqual(598);
  });

  it('an unknown sender is refused with its claimed name; the answer names no node', async () => {
    refused.length = 0;
    expect(await probe({ node: 'stranger' })).toMatchObject({ outcome: 'key' });
    expect(refused).toEqual([expect.objectContaining({ reason: 'unknown-sender', sender: 'stranger' })]);
  });

  it('another node at the endpoint is a bad answer', async () => {
    expect(await probe({ peerNode: 'cloud-2' })).toMatchObject({
      outcome: 'bad-answer',
      detail: 'the endpoint answers as node "cloud", not "cloud-2"',
    });
  });

  /** A probe from onprem, signed with its key, whatever its body. */
  const signedProbe = (body: Buffer, id: string) =>
    fetch(`${base}/v1/probe`, {
      method: 'POST',
      headers: {
        ...sign(onpremKeys, id, Date.now() / 1000, body),
        'routerd-node': 'onprem',
        'content-type': 'application/json',
      },
      body,
    });

  it('a probe body that is not a JSON object is refused (400), after authentication', async () => {
    const res = await signedProbe(Buffer.from('[]'), 'probe_x');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'malformed' } });
  });

  it('a probe body over the probe limit is refused (413) with that limit, before it is read or authenticated', async () => {
    refused.length = 0;
    const res = await signedProbe(Buffer.from(JSON.stringify({ pad: 'x'.repeat(2000) })), 'probe_big');
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { code: 'oversize', message: `request body exceeds ${PROBE_BODY_LIMIT_BYTES} bytes` },
    });
    expect(refused.map((r) => r.reason)).toEqual(['oversize']);
  });

  it('a refusal before authentication still carries the claimed sender', async () => {
    refused.length = 0;
    const res = await fetch(`${base}/v1/probe`, {
      method: 'POST',
      headers: { 'routerd-node': 'onprem', 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(res.status).toBe(415);
    expect(refused).toEqual([expect.objectContaining({ reason: 'media-type', sender: 'onprem' })]);
  });
});

describe('probePeer against what is not a current routerd', () => {
  async function serve(answer: (res: import('node:http').ServerResponse) => void) {
    const s = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { s, endpoint: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
  }

  it('404: an older routerd (unsupported); an unsigned 200: a bad answer; nobody listening: unreachable', async () => {
    const old = await serve((res) => res.writeHead(404).end('{}'));
    const fake = await serve((res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          node: 'cloud',
          group: 'edge',
          time: new Date().toISOString(),
          keyFingerprint: 'x',
        }),
      ),
    );
    try {
      expect(await probe({ endpoint: old.endpoint })).toMatchObject({ outcome: 'unsupported' });
      expect(await probe({ endpoint: fake.endpoint })).toMatchObject({
        outcome: 'bad-answer',
        detail: expect.stringMatching(/not signed with our key/),
      });
    } finally {
      old.s.close();
      fake.s.close();
    }
    expect(await probe({ endpoint: 'http://127.0.0.1:9' })).toMatchObject({
      outcome: 'unreachable',
      detail: 'ECONNREFUSED',
    });
  });
});
