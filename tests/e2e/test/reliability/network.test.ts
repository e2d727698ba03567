// Network faults between two namespaces, as nftables drops (silent: only timeouts reveal them). One
// pair of daemons lives through all of them; the checker is cumulative (everything acknowledged so far).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlGet } from '../support/federation.js';
import { createNetnsPair, type NetnsPair } from '../support/netns.js';
import {
  deliverySummary,
  metric,
  type Pair,
  samplePair,
  sleep,
  startPair,
  stopAll,
  verify,
} from './harness.js';
import { dropTo, heal, nftAvailable, nftInit } from './nft.js';

let net: NetnsPair;
let p: Pair;

beforeAll(async () => {
  if (!nftAvailable())
    throw new Error('nft is not installed (.ci/run installs nftables; apt-get install nftables)');
  net = createNetnsPair('rel', 232);
  nftInit(net.a.ns);
  nftInit(net.b.ns);
  p = await startPair({ net });
});
afterAll(async () => {
  await stopAll();
  net?.destroy();
});

const peerState = async () =>
  (
    await controlGet<{ peers: { state: string }[] }>(
      `${p.sender.stateDir}/routerd.sock`,
      '/v1/federation/peers',
    )
  ).peers[0]!.state;

const symmetric = () => {
  dropTo(net.a.ns, net.b.address);
  dropTo(net.b.ns, net.a.address);
};
const healAll = () => {
  heal(net.a.ns);
  heal(net.b.ns);
};

describe('network faults (namespaces, nftables drops)', () => {
  it('symmetric partition: detected by timeouts, drained after it heals', async () => {
    const before = samplePair(p);
    const stop = p.workload.stream('sym');
    await sleep(1000);
    symmetric();
    await expect.poll(peerState, { timeout: 15_000, interval: 100 }).toBe('backing-off');
    await sleep(2000);
    healAll();
    const healed = Date.now();
    await sleep(500);
    await stop();
    await verify(
      p,
      { scenario: 'symmetric partition', recoveryWhat: 'heal → outbox drained', recoveryFrom: healed },
      before,
    );
    expect(await peerState()).toBe('healthy');
  });

  it('asymmetric partition (answers lost): retries absorbed as duplicates, nothing lost', async () => {
    const before = samplePair(p);
    const dupsBefore = await wireDuplicates();
    const stop = p.workload.stream('asym');
    await sleep(1000);
    // Only cloud → onprem is dropped: requests on open connections still arrive and commit, the answers vanish.
    dropTo(net.b.ns, net.a.address);
    await expect.poll(peerState, { timeout: 15_000, interval: 100 }).toBe('backing-off');
    healAll();
    const healed = Date.now();
    await sleep(500);
    await stop();
    await verify(
      p,
      {
        scenario: 'asymmetric partition (B→A dropped)',
        recoveryWhat: 'heal → outbox drained',
        recoveryFrom: healed,
      },
      before,
    );
    console.log(`asymmetric partition: ${(await wireDuplicates()) - dupsBefore} re-sent events absorbed`);
  });

  it('flapping link (drops toggled every 0.5–2 s for ~15 s): nothing lost, attempts bounded', async () => {
    const before = samplePair(p);
    const attemptsBefore = await metric(p.sender, 'routerd_delivery_attempts_total');
    const stop = p.workload.stream('flap');
    const until = Date.now() + 15_000;
    let healed = Date.now();
    while (Date.now() < until) {
      symmetric();
      await sleep(500 + Math.random() * 1500);
      healAll();
      healed = Date.now();
      await sleep(500 + Math.random() * 1500);
    }
    await stop();
    await verify(
      p,
      { scenario: 'flapping link', recoveryWhat: 'last heal → outbox drained', recoveryFrom: healed },
      before,
    );
    // ~10 events per 100 ms for 15 s in batches of up to 100, plus a probe per backoff slot: a few
    // hundred requests at most. A tight retry loop would make thousands.
    const attempts = (await metric(p.sender, 'routerd_delivery_attempts_total')) - attemptsBefore;
    expect(attempts).toBeLessThan(1000);
  });

  it('partition longer than the event TTL: those events expire, are never delivered, status expired', async () => {
    const before = samplePair(p);
    symmetric();
    const short = await p.workload.emit(100, 'ttl-short', '3s');
    const long = await p.workload.emit(100, 'ttl-long', '1h');
    await sleep(5000);
    healAll();
    const healed = Date.now();
    const r = await verify(
      p,
      {
        scenario: 'partition longer than the TTL',
        recoveryWhat: 'heal → outbox drained',
        recoveryFrom: healed,
      },
      before,
    );
    expect(r.expired).toBe(short.length);
    const rows = await controlGet<{ deliveries: { eventId: string; status: string }[] }>(
      `${p.sender.stateDir}/routerd.sock`,
      '/v1/federation/deliveries?status=expired&limit=1000',
    );
    expect(rows.deliveries.map((d) => d.eventId).sort()).toEqual([...short].sort());
    expect((await deliverySummary(p.sender)).expired).toBe(100);
    expect(long).toHaveLength(100);
  });
});

async function wireDuplicates(): Promise<number> {
  return (
    (await metric(p.receiver, 'routerd_receiver_events_total', 'outcome="duplicate"')) +
    (await metric(p.receiver, 'routerd_receiver_events_total', 'outcome="replay"'))
  );
}
