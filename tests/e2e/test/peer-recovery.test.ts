// Issue 13 items 1 and 7, on real daemons over loopback driven by the real routerctl: a wrong key or a
// clock off by more than the replay window (libfaketime, as an operator's broken NTP would) loses
// nothing and says which it is; failed deliveries are re-sent in bulk; a peer is probed at once when asked,
// on reload and on restart; its error clears on the first success; lag is judged over a recent window.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { TestDaemon } from '@routerd/host/testing';
import { describe, expect, it } from 'vitest';
import { fakeClock } from './support/faketime.js';
import {
  controlGetText,
  daemonsPerTest,
  doctorReport,
  emitBatch,
  findCheck,
  freePort,
  keyFile,
  type NodeSpec,
  newRoot,
  nodeConfig,
  observed,
  reload,
  routerctl,
  routerctlJson,
  writeKeyedPair,
  writeNode,
} from './support/federation.js';

const { start, stop } = daemonsPerTest();

interface Node {
  config: string;
  stateDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Peer = { peer: string; state: string; lastError: string | null; lastErrorAt: string | null };
const peer = (stateDir: string, name = 'cloud') =>
  routerctlJson<Peer[]>(stateDir, 'federation', 'peers').find((p) => p.peer === name)!;
type Summary = { peer: string; delivered: number; pending: number; failed: number };
const summary = (stateDir: string, name = 'cloud') =>
  routerctlJson<Summary[]>(stateDir, 'federation', 'deliveries', 'summary').find((s) => s.peer === name)!;
const storedIds = (stateDir: string) =>
  routerctlJson<{ id: string }[]>(stateDir, 'federation', 'event', 'list', '--limit', '10000')
    .map((e) => e.id)
    .sort();

const doctorCheck = (stateDir: string, code: string, subject = 'cloud') =>
  findCheck(doctorReport(stateDir).report, code, subject);

/** onprem pushes to cloud (and cloud to onprem), both started unless `cloudUp` is false. */
async function pair(o: { retry?: NodeSpec['retry']; onpremPrefix?: string[]; cloudUp?: boolean } = {}) {
  const p = await writeKeyedPair(o.retry);
  const onprem = await start(p.onpremNode, o.onpremPrefix);
  const cloud = o.cloudUp === false ? undefined : await start(p.cloudNode);
  return { ...p, onprem, cloud };
}

/** Emit `n` observations, one request each, `gapMs` apart; returns their ids. */
async function emitSpread(d: TestDaemon, n: number, gapMs: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await emitBatch(d.socketPath, [observed(from + i, '1h', `ev-${from + i}`)]);
    expect(r.status).toBe(200);
    ids.push(`ev-${from + i}`);
    if (gapMs) await sleep(gapMs);
  }
  return ids;
}

describe('a wrong key or clock loses nothing', () => {
  it('a wrong key for 10+ s: rows stay pending, the peer needs the operator; the right key + SIGHUP delivers everything', async () => {
    const p = await pair();
    // The sender alone gets a brand-new key: every request it signs is refused (401).
    expect(routerctl(p.root, 'keys', 'generate', '--out', p.onpremKey, '--force').code).toBe(0);
    await reload(p.onprem);
    const ids = await emitSpread(p.onprem, 11, 1000);

    const meanwhile = peer(p.onprem.stateDir);
    expect(meanwhile.state).toBe('auth-refused');
    expect(meanwhile.lastError).toMatch(/refuses our signature: check that both sides hold the same key/);
    expect(summary(p.onprem.stateDir)).toMatchObject({ failed: 0, pending: 11 });
    const check = doctorCheck(p.onprem.stateDir, 'peer-reachable');
    expect(check.status).toBe('FAIL');
    expect(check.summary).toMatch(/needs the operator/);
    expect(check.advice).toMatch(/same key.*peers retry cloud/);
    expect(await controlGetText(p.onprem.stateDir, '/metrics')).toMatch(
      /^routerd_peer_state\{peer="cloud",state="auth-refused"\} 1$/m,
    );
    expect(p.onprem.logs.some((l) => /refuses our signature: check/.test(l.msg))).toBe(true);
    expect(storedIds(p.cloud!.stateDir)).toEqual([]);

    copyFileSync(p.cloudKey, p.onpremKey);
    await reload(p.onprem);
    await expect.poll(() => storedIds(p.cloud!.stateDir), { timeout: 15_000 }).toEqual(ids.sort());
    await expect
      .poll(() => summary(p.onprem.stateDir))
      .toMatchObject({ delivered: 11, pending: 0, failed: 0 });
    expect(peer(p.onprem.stateDir)).toMatchObject({ state: 'healthy', lastError: null, lastErrorAt: null });
  }, 60_000);

  it('the sender 10 minutes behind (faketime): the error names the clock, not the key; restarted on time, everything arrives', async () => {
    const p = await pair({ onpremPrefix: fakeClock('-600s') });
    const ids = await emitSpread(p.onprem, 5, 200);
    await expect
      .poll(() => peer(p.onprem.stateDir), { timeout: 10_000 })
      .toMatchObject({
        state: 'auth-refused',
        lastError: expect.stringMatching(
          /the peer's clock is (599|600|601) s ahead of ours .*synchronise clocks/,
        ),
      });
    expect(summary(p.onprem.stateDir)).toMatchObject({ failed: 0, pending: 5 });
    expect(doctorCheck(p.onprem.stateDir, 'peer-reachable').advice).toMatch(/^synchronise the clocks/);
    const logged = p.onprem.logs.find((l) => /synchronise clocks/.test(l.msg));
    expect(logged).toMatchObject({ cause: 'clock', reason: expect.stringMatching(/ahead of ours/) });

    await stop(p.onprem);
    const onprem = await start(p.onpremNode);
    await expect.poll(() => storedIds(p.cloud!.stateDir), { timeout: 15_000 }).toEqual(ids.sort());
    await expect.poll(() => summary(onprem.stateDir)).toMatchObject({ delivered: 5, pending: 0, failed: 0 });
    expect(peer(onprem.stateDir)).toMatchObject({ state: 'healthy', lastError: null });
  }, 60_000);

  it('the sender 10 minutes ahead (faketime): the error says the peer is behind; on time again, what it stamped ahead waits, not fails', async () => {
    const p = await pair({ onpremPrefix: fakeClock('+600s') });
    await emitSpread(p.onprem, 3, 200);
    await expect
      .poll(() => peer(p.onprem.stateDir).lastError, { timeout: 10_000 })
      .toMatch(/the peer's clock is (599|600|601) s behind ours/);
    expect(summary(p.onprem.stateDir)).toMatchObject({ failed: 0, pending: 3 });

    // On time again: requests are accepted, but the events were stamped 10 minutes ahead of the peer's
    // clock (more than its 5 min replay window): refused one by one as time-in-future until it gets there.
    await stop(p.onprem);
    const onprem = await start(p.onpremNode);
    type Row = { eventId: string; status: string; attempts: number; lastError: string | null };
    const rows = () => routerctlJson<Row[]>(onprem.stateDir, 'federation', 'deliveries', '--peer', 'cloud');
    const waiting = (r: Row) => r.status === 'pending' && /time-in-future/.test(r.lastError ?? '');
    await expect.poll(() => rows().filter(waiting).length, { timeout: 10_000 }).toBe(3);
    // Sent again and refused again (the same batch twice is no replay: a batch with a rejection is not
    // remembered by the receiver), and still waiting: nothing failed, nothing wrongly marked delivered.
    const first = new Map(rows().map((r) => [r.eventId, r.attempts]));
    await expect
      .poll(() => rows().filter((r) => r.attempts >= first.get(r.eventId)! + 2).length, { timeout: 15_000 })
      .toBe(3);
    expect(rows().filter(waiting)).toHaveLength(3);
    expect(summary(onprem.stateDir)).toMatchObject({ failed: 0 });
    expect(peer(onprem.stateDir).state).toBe('healthy');
  }, 60_000);
});

describe('routerctl federation redeliver --status failed', () => {
  it('re-queues exactly the failed rows of that peer that failed since T', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const [po, pc, pc2] = [await freePort(), await freePort(), await freePort()];
    const onprem = await start(
      writeNode(root, {
        name: 'onprem',
        port: po,
        key,
        peers: [
          { name: 'cloud', port: pc },
          { name: 'cloud2', port: pc2 },
        ],
      }),
    );
    // Both receivers are misconfigured: their group has another name, so they refuse every batch (403
    // wrong-group) and the sender fails those rows for good.
    const receiver = (name: string, port: number, group: string): Node => {
      const node = writeNode(root, { name, port, key, peers: [{ name: 'onprem', port: po }] });
      writeFileSync(
        node.config,
        nodeConfig({ name, port, key, peers: [{ name: 'onprem', port: po }] }).replace(/\bedge\b/g, group),
      );
      return node;
    };
    const cloudNode = receiver('cloud', pc, 'elsewhere');
    let cloud = await start(cloudNode);
    await start(receiver('cloud2', pc2, 'elsewhere'));
    const failedIds = (name: string) =>
      routerctlJson<{ eventId: string }[]>(
        onprem.stateDir,
        'federation',
        'deliveries',
        '--peer',
        name,
        '--status',
        'failed',
      )
        .map((d) => d.eventId)
        .sort();

    const before = await emitSpread(onprem, 3, 0, 0);
    await expect.poll(() => failedIds('cloud').length + failedIds('cloud2').length).toBe(6);
    await sleep(20);
    const since = new Date().toISOString();
    await sleep(20);
    const after = await emitSpread(onprem, 3, 0, 10);
    await expect.poll(() => failedIds('cloud').length + failedIds('cloud2').length).toBe(12);
    expect(failedIds('cloud')).toEqual([...before, ...after].sort());

    // cloud is fixed (its group renamed back), cloud2 is not.
    await stop(cloud);
    writeFileSync(
      cloudNode.config,
      nodeConfig({ name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] }),
    );
    cloud = await start(cloudNode);
    const r = routerctl(
      onprem.stateDir,
      'federation',
      'redeliver',
      '--status',
      'failed',
      '--peer',
      'cloud',
      '--since',
      since,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`requeued 3 failed deliveries to cloud since ${since}\n`);
    await expect.poll(() => storedIds(cloud.stateDir), { timeout: 10_000 }).toEqual(after.sort());
    expect(failedIds('cloud')).toEqual(before.sort());
    expect(failedIds('cloud2')).toEqual([...before, ...after].sort());

    // Without --since and --peer: every failed row (cloud2 refuses them again, and they fail again).
    const all = routerctl(onprem.stateDir, 'federation', 'redeliver', '--status', 'failed');
    expect(all.stdout).toBe('requeued 9 failed deliveries\n');
    await expect
      .poll(() => storedIds(cloud.stateDir), { timeout: 10_000 })
      .toEqual([...before, ...after].sort());

    // Bad input: named, nothing sent.
    const bad = routerctl(
      onprem.stateDir,
      'federation',
      'redeliver',
      '--status',
      'failed',
      '--since',
      'yesterday',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /\/since must be a duration .* or an RFC 3339 timestamp .* \(was "yesterday"\)/,
    );
    expect(bad.stderr).toMatch(/check --since/);
    const neither = routerctl(onprem.stateDir, 'federation', 'redeliver');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/give an event id, or --status failed/);
  }, 60_000);
});

describe('a peer that is back is used at once', () => {
  /** onprem with a 5 minute backoff, cloud down: three failed requests make it backing-off. */
  async function backedOff() {
    const p = await pair({ retry: { baseDelay: '5m', maxDelay: '5m' }, cloudUp: false });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(...(await emitSpread(p.onprem, 1, 0, i)));
      await expect.poll(() => peer(p.onprem.stateDir).lastError).toMatch(/network/);
      await sleep(100);
    }
    await expect.poll(() => peer(p.onprem.stateDir).state).toBe('backing-off');
    return { ...p, ids };
  }

  it('routerctl federation peers retry probes now and drains (the next probe was minutes away)', async () => {
    const p = await backedOff();
    const cloud = await start(p.cloudNode);
    const r = routerctl(p.onprem.stateDir, 'federation', 'peers', 'retry', 'cloud');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cloud: healthy \(probed with a pending event\); \d deliver(y|ies) pending/);
    await expect.poll(() => storedIds(cloud.stateDir), { timeout: 10_000 }).toEqual(p.ids.sort());

    const unknown = routerctl(p.onprem.stateDir, 'federation', 'peers', 'retry', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no EventPeer named nope/);
  }, 60_000);

  it('a reload, and a restart, probe a backing-off peer at once instead of waiting out the saved backoff', async () => {
    const p = await backedOff();
    let cloud = await start(p.cloudNode);
    await reload(p.onprem);
    await expect.poll(() => storedIds(cloud.stateDir), { timeout: 10_000 }).toEqual(p.ids.sort());

    await stop(cloud);
    const more: string[] = [];
    for (let i = 10; i < 13; i++) {
      more.push(...(await emitSpread(p.onprem, 1, 0, i)));
      await expect.poll(() => summary(p.onprem.stateDir).pending).toBe(i - 9);
      await sleep(100);
    }
    await expect.poll(() => peer(p.onprem.stateDir).state).toBe('backing-off');
    await stop(p.onprem);
    cloud = await start(p.cloudNode);
    await start(p.onpremNode);
    await expect
      .poll(() => storedIds(cloud.stateDir), { timeout: 10_000 })
      .toEqual([...p.ids, ...more].sort());
  }, 60_000);

  it("the first success clears the peer's error", async () => {
    const p = await pair({ retry: { baseDelay: '100ms', maxDelay: '400ms' }, cloudUp: false });
    await emitSpread(p.onprem, 1, 0);
    await expect.poll(() => peer(p.onprem.stateDir).state, { timeout: 10_000 }).toBe('backing-off');
    expect(peer(p.onprem.stateDir).lastError).toMatch(/network/);
    const cloud = await start(p.cloudNode);
    await expect.poll(() => storedIds(cloud.stateDir), { timeout: 10_000 }).toEqual(['ev-0']);
    await expect
      .poll(() => peer(p.onprem.stateDir))
      .toMatchObject({ state: 'healthy', lastError: null, lastErrorAt: null });
  }, 30_000);

  it('delivery-lag judges the last 15 minutes: an outage that is over stops warning', async () => {
    const p = await pair({ retry: { baseDelay: '100ms', maxDelay: '400ms' }, cloudUp: false });
    writeFileSync(
      p.onpremNode.config,
      readFileSync(p.onpremNode.config, 'utf8').replace(
        /(\n {2}auth: [^\n]+\n)/,
        '$1  doctor: { maxLag: 1s }\n',
      ),
    );
    await reload(p.onprem);
    await emitSpread(p.onprem, 1, 0);
    await sleep(2500);
    const cloud = await start(p.cloudNode);
    await expect.poll(() => storedIds(cloud.stateDir), { timeout: 10_000 }).toEqual(['ev-0']);
    expect(doctorCheck(p.onprem.stateDir, 'delivery-lag')).toMatchObject({
      status: 'WARN',
      // At least the 2.5 s the cloud was down; longer on a loaded machine.
      summary: expect.stringMatching(/^a delivery (in the last 15 min )?took ([2-9]|\d{2,})s/),
    });
    // The same state directory 20 minutes later (the daemon's clock, faked): nothing recent was slow.
    await stop(p.onprem);
    const later = await start(p.onpremNode, fakeClock('+20m'));
    expect(doctorCheck(later.stateDir, 'delivery-lag')).toMatchObject({
      status: 'PASS',
      summary: expect.stringMatching(/worst lag in the last 15 min 0s/),
    });
  }, 60_000);
});
