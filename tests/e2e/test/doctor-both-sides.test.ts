// Issue 13 item 2, on two real daemons over loopback and the real routerctl: a wrong key or a clock
// 10 minutes off shows in the doctor on BOTH routers — the receiver counts the refused requests of each
// claimed sender (requests-refused) and measures its clock from their unauthenticated timestamps, and
// each side's authenticated probe (peer-probe) proves the other holds the same key and a sane clock,
// including the cloud→on-prem direction, where no event would travel until a claim changes.
import { copyFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeClock } from './support/faketime.js';
import {
  findCheck as check,
  daemonsPerTest,
  doctorReport as doctor,
  emitBatch,
  observed,
  reload,
  routerctl,
  writeKeyedPair,
} from './support/federation.js';

const { start } = daemonsPerTest();

describe('a wrong key: both doctors say so', () => {
  it('the receiver names the sender under requests-refused; each side’s peer-probe says the keys differ', async () => {
    const p = await writeKeyedPair();
    // The cloud alone gets a brand-new key.
    expect(routerctl(p.root, 'keys', 'generate', '--out', p.cloudKey, '--force').code).toBe(0);
    const onprem = await start(p.onpremNode);
    const cloud = await start(p.cloudNode);
    expect((await emitBatch(onprem.socketPath, [observed(1)])).status).toBe(200);
    await expect
      .poll(() => cloud.logs.some((l) => l.msg === 'request refused' && l.reason === 'signature'), {
        timeout: 10_000,
      })
      .toBe(true);

    // The cloud (receiver of that delivery): requests-refused names onprem and the key.
    const atCloud = doctor(cloud.stateDir);
    expect(atCloud.code).toBe(1);
    expect(check(atCloud.report, 'requests-refused', 'edge/onprem')).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(
        /^onprem cannot authenticate: \d+ requests? refused in the last 15 min \(\d+ signature\); the last at .*key files differ/,
      ),
      advice: expect.stringMatching(
        /^the key, not the clock: onprem signs with a key this router does not hold/,
      ),
    });
    // Its clock was measured anyway, from the refused requests, and marked as such: the clocks agree.
    expect(check(atCloud.report, 'clock-skew', 'edge/onprem')).toMatchObject({
      status: 'PASS',
      summary: expect.stringMatching(/^onprem's clock is [01]s (ahead of|behind) ours \(unauthenticated/),
    });
    // The cloud→on-prem direction, checked without waiting for any event to travel that way.
    expect(check(atCloud.report, 'peer-probe', 'onprem')).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(
        /^peer refused our signature: keys differ \(the clocks agree within 1s\)$/,
      ),
    });

    // The on-prem side: its probe says the key, and it saw the cloud's probe refused.
    const atOnprem = doctor(onprem.stateDir);
    expect(check(atOnprem.report, 'peer-probe', 'cloud')).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(/^peer refused our signature: keys differ/),
      advice: expect.stringMatching(/^both routers must hold the same key/),
    });
    expect(check(atOnprem.report, 'requests-refused', 'edge/cloud')).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(/^cloud cannot authenticate: \d+ requests? refused .*signature/),
    });

    // --no-probe: no signed probe goes out, so no peer-probe row, and the peer counts nothing new.
    const before = check(doctor(onprem.stateDir).report, 'requests-refused', 'edge/cloud').summary;
    const quiet = doctor(cloud.stateDir, '--no-probe');
    expect(quiet.report.checks.filter((c) => c.code === 'peer-probe')).toEqual([]);
    expect(
      check(doctor(onprem.stateDir, '--no-probe').report, 'requests-refused', 'edge/cloud').summary,
    ).toBe(before);

    // Fixed: the cloud gets the right key back; both probes pass and the cloud's check clears at once.
    copyFileSync(p.onpremKey, p.cloudKey);
    await reload(cloud);
    const fixed = doctor(onprem.stateDir);
    expect(check(fixed.report, 'peer-probe', 'cloud')).toMatchObject({
      status: 'PASS',
      summary: expect.stringMatching(
        /^cloud verified our signature \(key [0-9a-f]{12}\) and answered as cloud; its clock is [01]s/,
      ),
    });
    expect(check(doctor(cloud.stateDir).report, 'requests-refused', 'edge/onprem')).toMatchObject({
      status: 'PASS',
      summary: expect.stringMatching(/a request from onprem was authenticated since/),
    });
  }, 60_000);
});

describe('a clock 10 minutes ahead (faketime): the clock is named, not the key', () => {
  it('the cloud ahead: its doctor reports the skew from the refused requests; both probes say the clock', async () => {
    const p = await writeKeyedPair();
    const onprem = await start(p.onpremNode);
    const cloud = await start(p.cloudNode, fakeClock('+600s'));
    expect((await emitBatch(onprem.socketPath, [observed(1)])).status).toBe(200);
    await expect
      .poll(() => cloud.logs.find((l) => l.msg === 'request refused' && l.reason === 'timestamp'), {
        timeout: 10_000,
      })
      .toMatchObject({
        sender: 'onprem',
        cause: 'clock',
        detail: expect.stringMatching(
          /^webhook-timestamp is (599|600|601) s behind this node's clock, beyond the replay window \(300 s\): the clocks differ \(not the keys\)/,
        ),
      });

    // Before this, the cloud's doctor was all PASS: it only measured skew from requests it accepted.
    const atCloud = doctor(cloud.stateDir);
    expect(atCloud.code).toBe(1);
    expect(check(atCloud.report, 'clock-skew', 'edge/onprem')).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(
        /^onprem's clock is (599|600|601)s behind ours \(unauthenticated: .*\), beyond the replay window \(300s\): its requests are refused$/,
      ),
    });
    expect(check(atCloud.report, 'requests-refused', 'edge/onprem')).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(
        /^onprem cannot authenticate: \d+ requests? refused in the last 15 min \(\d+ timestamp\)/,
      ),
      advice: expect.stringMatching(
        /^the clock, not the key: onprem's clock is (599|600|601)s behind ours \(unauthenticated webhook-timestamp\)/,
      ),
    });
    expect(check(atCloud.report, 'peer-probe', 'onprem')).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(
        /^clock off by (599|600|601)s: onprem's clock is behind ours \(its Date header\)/,
      ),
      advice: expect.stringMatching(/not a key problem/),
    });

    const atOnprem = doctor(onprem.stateDir);
    expect(check(atOnprem.report, 'peer-probe', 'cloud')).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(/^clock off by (599|600|601)s: cloud's clock is ahead of ours/),
    });
  }, 60_000);
});
