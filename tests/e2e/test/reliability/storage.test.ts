// Storage faults on loopback: retention pruning a backlog the receiver never got (counted, nothing else
// lost), and a receiver whose state directory fills up (a small tmpfs mounted on a directory we create).
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { controlGet, emitBatch, routerctl } from '../support/federation.js';
import { fill, smallStateFs, unmountSmallStateFs } from '../support/tmpfs.js';
import { readStoreIntegrity } from './checker.js';
import {
  deliverySummary,
  event,
  metric,
  samplePair,
  sleep,
  startNode,
  startPair,
  stopAll,
  verify,
} from './harness.js';

afterAll(async () => {
  await stopAll();
  unmountSmallStateFs();
});

/** The doctor, asked on the node whose state filesystem is full, names it (and exits 1). */
function expectDoctorSeesFullDisk(stateDir: string): void {
  const doctor = routerctl(stateDir, 'doctor', 'federation', '-o', 'json');
  expect(doctor.code).toBe(1);
  expect(
    (JSON.parse(doctor.stdout) as { checks: { code: string; status: string; subject: string }[] }).checks,
  ).toContainEqual(expect.objectContaining({ code: 'state-disk-space', status: 'FAIL', subject: stateDir }));
}

/** After the fault: the pair quiesces and passes the checker, and the faulted store is intact. */
async function recovered(
  p: Awaited<ReturnType<typeof startPair>>,
  stateDir: string,
  before: ReturnType<typeof samplePair>,
  rec: Parameters<typeof verify>[1],
) {
  const c = await verify(p, rec, before);
  expect(readStoreIntegrity(stateDir)).toBe('ok');
  return c;
}

describe('storage faults', () => {
  it('retention pressure with a backlog: undelivered events pruned are counted, nothing else lost', async () => {
    const p = await startPair({ startReceiver: false, senderMaxEvents: 50 });
    const before = samplePair(p);
    await p.workload.emit(200, 'ret');
    const r = routerctl(p.sender.stateDir, 'federation', 'event', 'prune', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(await metric(p.sender, 'routerd_retention_dropped_undelivered_total')).toBe(150);
    expect((await deliverySummary(p.sender)).pending).toBe(50);
    const up = Date.now();
    await startNode(p.receiver);
    const c = await verify(
      p,
      {
        scenario: 'retention pressure with a backlog',
        recoveryWhat: 'receiver start (spawn) → rest delivered',
        recoveryFrom: up,
      },
      before,
    );
    expect({ delivered: c.delivered, dropped: c.dropped }).toEqual({ delivered: 50, dropped: 150 });
  });

  it('a full state directory on the receiver: refused loudly (5xx), nothing corrupted, recovers', async () => {
    const { dir, stateDir } = smallStateFs('routerd-rel-full-');
    const p = await startPair({ receiverStateDir: stateDir });
    await p.workload.emit(100, 'pre');
    await expect.poll(async () => (await deliverySummary(p.sender)).delivered).toBe(100);
    const before = samplePair(p);
    const filler = fill(dir);
    // The premise: the filler, not the database, took the space — so freeing it frees room to work in.
    expect(statSync(filler).size).toBeGreaterThan(16 * 1024 * 1024);

    // The receiver cannot commit: it must answer 5xx (the sender retries), never 2xx. Read from the
    // sender's record of the peer: once it backs off it probes with its oldest row only, so the newest
    // pending rows may never have been tried.
    const stop = p.workload.stream('full', 50, 50);
    await expect
      .poll(
        async () =>
          (
            await controlGet<{ peers: { lastError: string | null }[] }>(
              `${p.sender.stateDir}/routerd.sock`,
              '/v1/federation/peers',
            )
          ).peers[0]?.lastError,
        { timeout: 15_000, interval: 100 },
      )
      .toMatch(/\b5\d\d\b/);
    // A local emit on the receiver fails loudly too.
    const local = await emitBatch(`${stateDir}/routerd.sock`, [event('local-full')]);
    expect(local.status).toBeGreaterThanOrEqual(500);
    await sleep(1000);
    await stop();
    expect(p.receiver.daemon!.child.exitCode).toBeNull(); // still running
    // Loudly on the receiver's side too: its log names the failure (the peer only sees a generic 500).
    expect(
      p.receiver.daemon!.logs.some(
        (l) => l.level >= 50 && /received batch failed/.test(l.msg) && l.code === 'SQLITE_FULL',
      ),
    ).toBe(true);

    expectDoctorSeesFullDisk(stateDir);

    rmSync(filler);
    await recovered(p, stateDir, before, {
      scenario: 'full state directory on the receiver',
      recoveryWhat: 'space freed → outbox drained',
      recoveryFrom: Date.now(),
    });
    // …and it takes local emits again.
    expect((await emitBatch(`${stateDir}/routerd.sock`, [event('local-after')])).status).toBe(200);
  });

  it('a full state directory on the sender: emits refused, its backlog still delivered, nothing lost', async () => {
    const { dir, stateDir } = smallStateFs('routerd-rel-full-');
    const p = await startPair({ startReceiver: false, senderStateDir: stateDir });
    await p.workload.emit(300, 'backlog'); // pending: the receiver is not up yet
    const before = samplePair(p);
    const filler = fill(dir);
    expect(statSync(filler).size).toBeGreaterThan(16 * 1024 * 1024);

    // New events cannot be stored, so they are refused — never acknowledged and then lost.
    const refused = await emitBatch(`${stateDir}/routerd.sock`, [event('sender-full')]);
    expect(refused.status).toBeGreaterThanOrEqual(500);
    // The receiver comes up: the sender delivers its backlog but cannot record the outcome; it says so,
    // pauses, and sends again (the receiver absorbs the repeats). It stays up throughout.
    await startNode(p.receiver);
    await p.sender.daemon!.waitForLog(
      (l) => l.level >= 50 && /delivery outcome failed/.test(l.msg) && l.code === 'SQLITE_FULL',
    );
    await sleep(1500);
    expect(p.sender.daemon!.child.exitCode).toBeNull();
    expectDoctorSeesFullDisk(stateDir);

    rmSync(filler);
    const c = await recovered(p, stateDir, before, {
      scenario: 'full state directory on the sender',
      recoveryWhat: 'space freed → outbox drained',
      recoveryFrom: Date.now(),
    });
    expect(c.delivered).toBe(300);
    expect((await emitBatch(`${stateDir}/routerd.sock`, [event('sender-after')])).status).toBe(200);
  });

  it('a read-only state directory on the receiver: the start fails loudly, nothing is corrupted, it recovers', async () => {
    const { dir, stateDir } = smallStateFs('routerd-rel-full-');
    const p = await startPair({ receiverStateDir: stateDir });
    await p.workload.emit(100, 'pre');
    await expect.poll(async () => (await deliverySummary(p.sender)).delivered).toBe(100);
    const before = samplePair(p);
    // A router whose flash came back read-only (fsck, errors=remount-ro): the daemon stops, the
    // filesystem is remounted read-only under it, and it is started again.
    expect(await p.receiver.daemon!.stop()).toBe(0);
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    const stop = p.workload.stream('ro', 20, 50);
    const start = await startNode(p.receiver).then(
      () => 'started',
      (err: Error) => err.message,
    );
    await stop();
    expect(start).toMatch(/^routerd-eventd exited \(1\)/);
    expect(start).toContain(`cannot write to the state directory ${stateDir} (its filesystem is read-only)`);
    expect((await deliverySummary(p.sender)).pending).toBeGreaterThan(0); // kept by the sender

    execFileSync('mount', ['-o', 'remount,rw', dir]);
    const fixed = Date.now();
    await startNode(p.receiver);
    await recovered(p, stateDir, before, {
      scenario: 'read-only state directory on the receiver',
      recoveryWhat: 'remounted read-write, receiver started → outbox drained',
      recoveryFrom: fixed,
    });
  });
});
