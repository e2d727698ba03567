// Two (and more) real routerd-eventd processes federating over loopback, driven through the real
// routerctl; assertions read both stores.
import { join } from 'node:path';
import { TestDaemon } from '@routerd/host/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  emitBatch,
  emitObservedWithRouterctl,
  freePort,
  keyFile,
  type NodeSpec,
  newRoot,
  observed,
  routerctl,
  routerctlJson,
  storedCount,
  writeNode,
} from './support/federation.js';

const running: TestDaemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

async function start(root: string, spec: NodeSpec): Promise<TestDaemon> {
  const { config, stateDir } = writeNode(root, spec);
  const d = await TestDaemon.start({ configFiles: [config], stateDir });
  running.push(d);
  return d;
}

async function pair(opts: { cloudUp?: boolean; onprem?: Partial<NodeSpec> } = {}) {
  const root = newRoot();
  const key = keyFile(root);
  const [po, pc] = [await freePort(), await freePort()];
  const onpremSpec: NodeSpec = {
    name: 'onprem',
    port: po,
    key,
    peers: [{ name: 'cloud', port: pc }],
    ...opts.onprem,
  };
  const cloudSpec: NodeSpec = { name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] };
  const onprem = await start(root, onpremSpec);
  const cloud = opts.cloudUp === false ? undefined : await start(root, cloudSpec);
  return { root, onprem, cloud, startCloud: () => start(root, cloudSpec), onpremSpec };
}

type Ev = { id: string; sourceNode: string };
const ids = (stateDir: string) =>
  routerctlJson<Ev[]>(stateDir, 'federation', 'event', 'list', '--include-expired', '--limit', '10000').map(
    (e) => e.id,
  );

describe('federation between real daemons', () => {
  it('on-prem pushes what it observes to the cloud; routerctl shows deliveries and peers', async () => {
    const { onprem, cloud } = await pair();
    const r = emitObservedWithRouterctl(onprem.stateDir, '10.88.60.9/32', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    const id = (JSON.parse(r.stdout) as { result: { id: string } }).result.id;
    await expect.poll(() => ids(cloud!.stateDir), { timeout: 5000 }).toContain(id);
    const got = routerctlJson<{ sourceNode: string; payload: { address: string } }>(
      cloud!.stateDir,
      'federation',
      'event',
      'get',
      id,
    );
    expect(got).toMatchObject({ sourceNode: 'onprem', payload: { address: '10.88.60.9/32' } });
    await expect
      .poll(() =>
        routerctlJson<{ peer: string; delivered: number; pending: number }[]>(
          onprem.stateDir,
          'federation',
          'deliveries',
          'summary',
        ),
      )
      .toEqual([expect.objectContaining({ peer: 'cloud', delivered: 1, pending: 0, failed: 0 })]);
    const peers = routerctlJson<{ peer: string; state: string; lastSuccessAt: string | null }[]>(
      onprem.stateDir,
      'federation',
      'peers',
    );
    expect(peers[0]).toMatchObject({ peer: 'cloud', state: 'healthy' });
    expect(peers[0]!.lastSuccessAt).not.toBeNull();
    const table = routerctl(onprem.stateDir, 'federation', 'deliveries', '--event-id', id);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+cloud\\s+delivered\\s+1`));
  });

  it('a duplicate push (redeliver) is absorbed by the receiver: stored once', async () => {
    const { onprem, cloud } = await pair();
    await emitBatch(join(onprem.stateDir, 'routerd.sock'), [observed(1, '600s', 'dup-1')]);
    await expect.poll(() => ids(cloud!.stateDir)).toEqual(['dup-1']);
    const r = routerctl(onprem.stateDir, 'federation', 'redeliver', 'dup-1');
    expect(r.stdout).toMatch(/requeued 1 delivery of dup-1/);
    await expect
      .poll(
        () =>
          routerctlJson<{ status: string; attempts: number }[]>(
            onprem.stateDir,
            'federation',
            'deliveries',
          )[0],
      )
      .toMatchObject({ status: 'delivered', attempts: 1 });
    expect(ids(cloud!.stateDir)).toEqual(['dup-1']);
    expect(routerctl(onprem.stateDir, 'federation', 'redeliver', 'nope').stderr).toMatch(
      /no delivery of event nope/,
    );
  });

  it('a receiver that is down gets everything when it returns; attempts follow the backoff', async () => {
    const p = await pair({
      cloudUp: false,
      onprem: { retry: { baseDelay: '100ms', maxDelay: '400ms' } } as Partial<NodeSpec>,
    });
    await emitBatch(
      join(p.onprem.stateDir, 'routerd.sock'),
      Array.from({ length: 50 }, (_, i) => observed(i)),
    );
    // 100, 200, 400, 400… ms apart (±20 %): within ~2 s a row has been tried several times, not dozens.
    await new Promise((r) => setTimeout(r, 2000));
    const rows = routerctlJson<{ attempts: number; status: string; lastError: string }[]>(
      p.onprem.stateDir,
      'federation',
      'deliveries',
      '--limit',
      '1',
    );
    expect(rows[0]!.status).toBe('pending');
    expect(rows[0]!.attempts).toBeGreaterThanOrEqual(3);
    expect(rows[0]!.attempts).toBeLessThanOrEqual(8);
    expect(rows[0]!.lastError).toMatch(/network/);
    expect(routerctlJson<{ state: string }[]>(p.onprem.stateDir, 'federation', 'peers')[0]!.state).toBe(
      'backing-off',
    );
    const cloud = await p.startCloud();
    await expect.poll(() => ids(cloud.stateDir).length, { timeout: 10_000 }).toBe(50);
    await expect
      .poll(() => routerctlJson<{ state: string }[]>(p.onprem.stateDir, 'federation', 'peers')[0]!.state)
      .toBe('healthy');
  });

  it('events that expire before the peer answers are never delivered', async () => {
    const p = await pair({ cloudUp: false });
    await emitBatch(join(p.onprem.stateDir, 'routerd.sock'), [
      observed(1, '1s', 'short'),
      observed(2, '600s', 'long'),
    ]);
    await new Promise((r) => setTimeout(r, 1200));
    const cloud = await p.startCloud();
    await expect.poll(() => ids(cloud.stateDir), { timeout: 10_000 }).toEqual(['long']);
    await expect
      .poll(
        () =>
          routerctlJson<{ status: string }[]>(
            p.onprem.stateDir,
            'federation',
            'deliveries',
            '--event-id',
            'short',
          )[0]!.status,
      )
      .toBe('expired');
    expect(ids(cloud.stateDir)).toEqual(['long']);
  });

  it('kill -9 of the sender at random points while 10,000 events flow: every acknowledged event arrives exactly once', async () => {
    const p = await pair();
    let onprem = p.onprem;
    const acknowledged = new Set<string>();
    let next = 0;
    for (let round = 0; round < 4; round++) {
      // Emit in batches while a kill lands at a random moment.
      const killAt = 50 + Math.floor(Math.random() * 250);
      const killer = setTimeout(() => onprem.signal('SIGKILL'), killAt);
      try {
        while (next < 10_000) {
          const batch = Array.from({ length: Math.min(250, 10_000 - next) }, (_, k) =>
            observed(next + k, '1h', `k-${next + k}`),
          );
          const res = await emitBatch(join(onprem.stateDir, 'routerd.sock'), batch);
          if (res.status !== 200) break;
          for (const e of batch) acknowledged.add(e.id!);
          next += batch.length;
          if (round < 3 && next % 2500 === 0) break;
        }
      } catch {
        // the daemon died mid-request: that batch was not acknowledged (it may or may not be stored)
      }
      clearTimeout(killer);
      onprem.signal('SIGKILL');
      await onprem.exited();
      running.splice(running.indexOf(onprem), 1);
      onprem = await start(p.root, p.onpremSpec);
    }
    while (next < 10_000) {
      // Exactly 10,000 in all, so the receiver's list (at most 10,000 rows) shows every one.
      const batch = Array.from({ length: Math.min(500, 10_000 - next) }, (_, k) =>
        observed(next + k, '1h', `k-${next + k}`),
      );
      expect((await emitBatch(join(onprem.stateDir, 'routerd.sock'), batch)).status).toBe(200);
      for (const e of batch) acknowledged.add(e.id!);
      next += batch.length;
    }
    await expect
      .poll(() => storedCount(p.cloud!.stateDir), { timeout: 60_000, interval: 500 })
      .toBeGreaterThanOrEqual(acknowledged.size);
    const stored = ids(p.cloud!.stateDir);
    expect(new Set(stored).size).toBe(stored.length); // no event stored twice
    for (const id of acknowledged) expect(stored).toContain(id);
  }, 120_000);

  it('a three-node group, each pushing to the other two, delivers everything to everyone', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const names = ['a', 'b', 'c'];
    const ports = [await freePort(), await freePort(), await freePort()];
    const nodes = [];
    for (const [i, name] of names.entries()) {
      const peers = names.flatMap((m, j) => (j === i ? [] : [{ name: m, port: ports[j]! }]));
      nodes.push(await start(root, { name, port: ports[i]!, key, peers }));
    }
    for (const [i, node] of nodes.entries()) {
      await emitBatch(
        join(node.stateDir, 'routerd.sock'),
        Array.from({ length: 100 }, (_, k) => observed(i * 100 + k, '1h', `${names[i]}-${k}`)),
      );
    }
    for (const node of nodes)
      await expect.poll(() => storedCount(node.stateDir), { timeout: 15_000 }).toBe(300);
    for (const node of nodes) {
      const sources = routerctlJson<Ev[]>(
        node.stateDir,
        'federation',
        'event',
        'list',
        '--limit',
        '1000',
      ).map((e) => e.sourceNode);
      expect(new Set(sources)).toEqual(new Set(names));
    }
  });

  it('prune --dry-run lists exactly what prune removes', async () => {
    const p = await pair({ cloudUp: false, onprem: { retention: { maxEvents: 5 } } as Partial<NodeSpec> });
    await emitBatch(
      join(p.onprem.stateDir, 'routerd.sock'),
      Array.from({ length: 8 }, (_, i) => observed(i, '600s', `p-${i}`)),
    );
    const before = ids(p.onprem.stateDir);
    const dry = routerctlJson<{
      dryRun: boolean;
      events: { id: string; reason: string; undelivered: boolean }[];
    }>(p.onprem.stateDir, 'federation', 'event', 'prune', '--dry-run');
    expect(dry.dryRun).toBe(true);
    expect(dry.events.map((e) => e.id).sort()).toEqual(['p-0', 'p-1', 'p-2']);
    expect(dry.events.every((e) => e.reason === 'max-events' && e.undelivered)).toBe(true);
    expect(ids(p.onprem.stateDir)).toEqual(before); // a dry run changes nothing
    const real = routerctlJson<{
      events: { id: string }[];
      removed: { events: number; undelivered: number };
    }>(p.onprem.stateDir, 'federation', 'event', 'prune');
    expect(real.events.map((e) => e.id).sort()).toEqual(dry.events.map((e) => e.id).sort());
    expect(real.removed).toMatchObject({ events: 3, undelivered: 3 });
    expect(ids(p.onprem.stateDir).sort()).toEqual(
      before.filter((id) => !['p-0', 'p-1', 'p-2'].includes(id)).sort(),
    );
  });

  it('exposes Prometheus metrics on the control socket', async () => {
    const { onprem, cloud } = await pair();
    await emitBatch(join(onprem.stateDir, 'routerd.sock'), [observed(1)]);
    await expect.poll(() => ids(cloud!.stateDir).length).toBe(1);
    const { request } = await import('node:http');
    const text = await new Promise<string>((resolve) => {
      request({ socketPath: join(cloud!.stateDir, 'routerd.sock'), path: '/metrics' }, (res) => {
        let t = '';
        res.on('data', (c) => {
          t += c;
        });
        res.on('end', () => resolve(t));
      }).end();
    });
    expect(text).toMatch(/routerd_receiver_events_total\{outcome="accepted"\} 1/);
    expect(text).toMatch(/routerd_events_stored_total\{origin="received"\} 1/);
    // statfs of the state directory, read at scrape time.
    const free = Number(/^routerd_state_free_bytes (\d+)$/m.exec(text)?.[1]);
    expect(free).toBeGreaterThan(0);
  });

  it('refuses to start when a secret file is readable by others, saying how to fix it', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const { chmodSync } = await import('node:fs');
    chmodSync(key, 0o644);
    const { config, stateDir } = writeNode(root, { name: 'onprem', port: await freePort(), key, peers: [] });
    await expect(TestDaemon.start({ configFiles: [config], stateDir, readyTimeoutMs: 5000 })).rejects.toThrow(
      /chmod 600/,
    );
  });
});

describe('routerctl keys generate', () => {
  it('writes a 0600 key file and rotates it keeping the old key second', async () => {
    const root = newRoot();
    const file = join(root, 'edge.key');
    const { readFileSync, statSync } = await import('node:fs');
    expect(routerctl(root, 'keys', 'generate', '--out', file).code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = readFileSync(file, 'utf8').trim();
    expect(first).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(routerctl(root, 'keys', 'generate', '--out', file).stderr).toMatch(/exists: use --rotate/);
    expect(routerctl(root, 'keys', 'generate', '--out', file, '--rotate').code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(first);
  });
});
