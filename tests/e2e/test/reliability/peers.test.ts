// Peers that misbehave at the HTTP level, on loopback: one that accepts and never answers, and fakes
// answering 500, 503 + Retry-After, 429, 410, 413. The sender's reaction is read with routerctl and must
// match docs/federation.md's status table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, keyFile, newRoot, routerctlJson } from '../support/federation.js';
import { sample } from './checker.js';
import { type Closable, hungServer, statusServer } from './fake-peers.js';
import {
  configYaml,
  deliverySummary,
  type NodeHandle,
  record,
  samplePair,
  sleep,
  startNode,
  startPair,
  stopAll,
  verify,
  Workload,
} from './harness.js';

const fakes: Closable[] = [];
afterAll(async () => {
  for (const f of fakes) await f.close();
  await stopAll();
});

interface Row {
  eventId: string;
  peer: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}
const deliveries = (n: NodeHandle, peer: string) =>
  routerctlJson<Row[]>(n.stateDir, 'federation', 'deliveries', '--peer', peer);
const peers = (n: NodeHandle) =>
  routerctlJson<{ peer: string; state: string }[]>(n.stateDir, 'federation', 'peers');

describe('misbehaving peers', () => {
  it('a hung receiver (accepts, never answers): the sender times out and retries, never wedges', async () => {
    const p = await startPair({ startReceiver: false });
    const port = Number(new URL(p.receiverUrl).port);
    const hung = await hungServer(port);
    fakes.push(hung);
    const before = samplePair(p);
    await p.workload.emit(50, 'hung');
    // Each attempt is abandoned (3 s idle, 10 s whole exchange) and retried: the server sees it hang up.
    await expect.poll(() => hung.held.length, { timeout: 20_000, interval: 200 }).toBeGreaterThanOrEqual(2);
    expect(Math.max(...hung.held)).toBeLessThan(11_000);
    // Not wedged: the control API answers and takes new events while the peer hangs.
    const t0 = Date.now();
    expect(await p.workload.emit(10, 'hung-more')).toHaveLength(10);
    expect(Date.now() - t0).toBeLessThan(2000);
    const row = deliveries(p.sender, 'cloud').find((r) => r.eventId === 'hung-0')!;
    expect(row).toMatchObject({ status: 'pending' });
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    expect(row.lastError).toMatch(/timeout/);
    await hung.close();
    const swapped = Date.now();
    await startNode(p.receiver);
    await verify(
      p,
      {
        scenario: 'hung receiver',
        recoveryWhat: 'hung server replaced (spawn of the real one) → outbox drained',
        recoveryFrom: swapped,
        notes: [`connections held ${hung.held.map((h) => `${(h / 1000).toFixed(1)}s`).join(', ')}`],
      },
      before,
    );
  });

  it('error responses: 500/429/503 retried (Retry-After honoured and clamped), 410/413 failed at once', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const codes = [500, 503, 429, 410, 413] as const;
    const servers = new Map<number, Awaited<ReturnType<typeof statusServer>>>();
    const ports = new Map<number, number>();
    for (const code of codes) {
      const port = await freePort();
      ports.set(code, port);
      const s = await statusServer(port, code, code === 503 ? { 'retry-after': '2' } : {});
      servers.set(code, s);
      fakes.push(s);
    }
    const dir = join(root, 'onprem');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'federation.yaml');
    writeFileSync(
      config,
      configYaml({
        name: 'onprem',
        address: '127.0.0.1',
        port: await freePort(),
        key,
        retry: { baseDelay: '200ms', maxDelay: '3s' },
        peers: codes.map((c) => ({ name: `fake${c}`, address: '127.0.0.1', port: ports.get(c)! })),
      }),
    );
    const sender: NodeHandle = { name: 'onprem', config, stateDir: join(dir, 'state') };
    const d = await startNode(sender);
    const before = sample(d.child.pid!);
    const workload = new Workload(sender);
    const [id] = await workload.emit(1, 'status');
    await sleep(4000);

    // 410 and 413: the same body can never succeed — failed after exactly one request.
    for (const code of [410, 413]) {
      expect(servers.get(code)!.times, `fake${code}`).toHaveLength(1);
      expect(deliveries(sender, `fake${code}`)[0]).toMatchObject({
        eventId: id,
        status: 'failed',
        attempts: 1,
        lastStatus: code,
      });
    }
    // 500 and 429: retried with backoff (200, 400, 800… ms ±20 %: about 4 attempts in 4 s, not dozens).
    for (const code of [500, 429]) {
      const row = deliveries(sender, `fake${code}`)[0]!;
      expect(row).toMatchObject({ status: 'pending', lastStatus: code });
      expect(row.attempts).toBeGreaterThanOrEqual(3);
      expect(row.attempts).toBeLessThanOrEqual(6);
    }
    // 503 with Retry-After: 2 — honoured, but clamped to [delay, 2 × delay]: each gap is about twice
    // the plain backoff (≥ 1.6 × base·2^(n−1)), never the full 2 s at first, never beyond maxDelay.
    const t = servers.get(503)!.times;
    const gaps = t.slice(1).map((v, i) => v - t[i]!);
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    gaps.forEach((g, i) => {
      const plain = 200 * 2 ** i;
      expect(g, `gap ${i + 1}`).toBeGreaterThanOrEqual(Math.min(2000, 1.6 * plain) - 30);
      expect(g, `gap ${i + 1}`).toBeLessThanOrEqual(Math.min(3000, 2.4 * plain) + 150);
    });
    const plain500 = servers.get(500)!.times;
    expect(plain500[1]! - plain500[0]!).toBeLessThan(gaps[0]!); // plain backoff is the shorter one
    expect(deliveries(sender, 'fake503')[0]).toMatchObject({ status: 'pending', lastStatus: 503 });

    // Peers that recover: the retried rows are delivered; the failed ones stay failed.
    for (const code of [500, 503, 429]) servers.get(code)!.set(200);
    const fixed = Date.now();
    await expect
      .poll(
        async () => {
          const s = await deliverySummaries(sender);
          return codes.map((c) => `${c}:${s.get(`fake${c}`)}`).join(' ');
        },
        { timeout: 15_000, interval: 50 },
      )
      .toBe('500:delivered 503:delivered 429:delivered 410:failed 413:failed');
    const recoveryMs = Date.now() - fixed;
    expect(peers(sender).every((p) => p.state === 'healthy')).toBe(true);
    const after = sample(d.child.pid!);
    expect(after.fds - before.fds).toBeLessThan(24);
    record({
      scenario: 'error responses (500, 503+Retry-After, 429, 410, 413)',
      recoveryMs,
      recoveryWhat: 'fakes answer 200 again → retried rows delivered',
      resources: { onprem: { before, after } },
      notes: [`503 gaps ${gaps.join('/')} ms`, `500 gaps ${gapsOf(plain500).join('/')} ms`],
    });
  });
});

const gapsOf = (t: number[]) => t.slice(1).map((v, i) => v - t[i]!);

async function deliverySummaries(n: NodeHandle): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const peer of ['fake500', 'fake503', 'fake429', 'fake410', 'fake413']) {
    const r = await deliverySummaryOf(n, peer);
    out.set(peer, r);
  }
  return out;
}

async function deliverySummaryOf(n: NodeHandle, peer: string): Promise<string> {
  const s = await deliverySummary(n, peer);
  return s.delivered ? 'delivered' : s.failed ? 'failed' : s.pending ? 'pending' : 'none';
}
