// Process faults over loopback (the network is not the point here): a receiver that is down, a sender
// SIGKILLed at random points, a receiver SIGKILLed while it commits batches.
import { afterAll, describe, expect, it } from 'vitest';
import { storedCount } from '../support/federation.js';
import { readStore } from './checker.js';
import {
  deliverySummary,
  kill,
  metric,
  samplePair,
  sleep,
  startNode,
  startPair,
  stopAll,
  verify,
} from './harness.js';

afterAll(stopAll);

describe('process faults', () => {
  it('receiver down then up: the backlog arrives once it returns', async () => {
    const p = await startPair({ startReceiver: false });
    await sleep(300);
    const before = samplePair(p);
    await p.workload.emit(500, 'down');
    await sleep(2500); // several attempts: the peer is backing off, probing one event at a time
    expect((await deliverySummary(p.sender)).pending).toBe(500);
    await startNode(p.receiver);
    const r = await verify(
      p,
      {
        scenario: 'receiver down then up',
        recoveryWhat: 'receiver ready → backlog of 500 delivered',
        recoveryFrom: Date.now(),
      },
      before,
    );
    expect(r.delivered).toBe(500);
  });

  it('sender SIGKILLed at random points, 50 cycles: every acknowledged event arrives once', async () => {
    const p = await startPair();
    const before = samplePair(p); // the receiver's: it lives through all 50 cycles
    for (let cycle = 0; cycle < 50; cycle++) {
      if (!p.sender.daemon) await startNode(p.sender);
      await p.workload.emit(100, `k${cycle}`);
      // Somewhere between "not sent yet", "in flight" and "answered but not yet recorded".
      await sleep(Math.floor(Math.random() * 40));
      await kill(p.sender);
    }
    const restart = Date.now();
    await startNode(p.sender);
    const r = await verify(
      p,
      {
        scenario: 'sender SIGKILLed at random points (50 cycles)',
        recoveryWhat: 'last restart (spawn) → outbox drained',
        recoveryFrom: restart,
      },
      before,
    );
    expect(r.acknowledged).toBe(5000);
    const wireDups =
      (await metric(p.receiver, 'routerd_receiver_events_total', 'outcome="duplicate"')) +
      (await metric(p.receiver, 'routerd_receiver_events_total', 'outcome="replay"'));
    // Re-sent batches (sent, then killed before recording) are absorbed by the receiver, never stored twice.
    expect(await storedCount(p.receiver.stateDir)).toBe(5000);
    console.log(`sender kill cycles: ${wireDups} duplicate or replayed events absorbed by the receiver`);
  });

  it('receiver SIGKILLed mid-batch, 3 times: no partial batch, nothing lost', async () => {
    const p = await startPair();
    const before = samplePair(p); // the sender's: it lives through the receiver's crashes
    let lastRestart = 0;
    const partial: number[] = [];
    for (let round = 0; round < 3; round++) {
      const base = await storedCount(p.receiver.stateDir);
      await p.workload.emit(3000, `mid${round}`);
      // Kill once it has committed some of this burst but (almost surely) not all of it.
      await expect
        .poll(() => storedCount(p.receiver.stateDir), { timeout: 10_000, interval: 5 })
        .toBeGreaterThan(base);
      await kill(p.receiver);
      const got = [...readStore(p.receiver.stateDir).events.keys()].filter((id) =>
        id.startsWith(`mid${round}-`),
      ).length;
      if (got < 3000) partial.push(got);
      await sleep(200);
      await startNode(p.receiver);
      lastRestart = Date.now();
    }
    const r = await verify(
      p,
      {
        scenario: 'receiver SIGKILLed mid-batch (3 times)',
        recoveryWhat: 'last receiver restart → outbox drained',
        recoveryFrom: lastRestart,
      },
      before,
    );
    expect(r.delivered).toBe(9000);
    // The kill did land mid-burst at least once (else this scenario tested nothing).
    expect(partial.length).toBeGreaterThan(0);
  });
});
