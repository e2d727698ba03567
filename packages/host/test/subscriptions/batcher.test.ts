import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { Batcher } from '../../src/subscriptions/batcher.js';

function setup(policy: { batchWindowMs: number; debounceMs: number; maxBatch: number }) {
  const clock = new ManualClock(0);
  const fired: { at: number; batch: number[] }[] = [];
  const b = new Batcher<number>(policy, clock, (batch) => fired.push({ at: clock.now(), batch }));
  return { clock, fired, b };
}

describe('Batcher', () => {
  it('with no window and no debounce fires once the current turn is done, keeping what arrived together', async () => {
    const { fired, b } = setup({ batchWindowMs: 0, debounceMs: 0, maxBatch: 100 });
    b.add(1);
    b.add(2);
    expect(fired).toEqual([]);
    await Promise.resolve();
    expect(fired).toEqual([{ at: 0, batch: [1, 2] }]);
    b.add(3);
    await Promise.resolve();
    expect(fired).toEqual([
      { at: 0, batch: [1, 2] },
      { at: 0, batch: [3] },
    ]);
  });

  // Issue 18: Node's shortest timer is 1 ms, a tenth of an observe → claim round trip on this path.
  it('with no window and no debounce arms no timer: the clock need not move', async () => {
    const { clock, fired, b } = setup({ batchWindowMs: 0, debounceMs: 0, maxBatch: 100 });
    b.add(1);
    expect(clock.pending).toBe(0);
    await Promise.resolve();
    expect(fired).toEqual([{ at: 0, batch: [1] }]);
  });

  it('drops a batch cancelled before its turn ends', async () => {
    const { fired, b } = setup({ batchWindowMs: 0, debounceMs: 0, maxBatch: 100 });
    b.add(1);
    b.cancel();
    await Promise.resolve();
    expect(fired).toEqual([]);
  });

  it('a batch window fires at first + window, however events keep coming', () => {
    const { clock, fired, b } = setup({ batchWindowMs: 1000, debounceMs: 0, maxBatch: 100 });
    b.add(1);
    clock.advance(400);
    b.add(2);
    clock.advance(599);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([{ at: 1000, batch: [1, 2] }]);
  });

  it('debounce waits for quiet, but never past the window', () => {
    const { clock, fired, b } = setup({ batchWindowMs: 1000, debounceMs: 300, maxBatch: 100 });
    b.add(1);
    clock.advance(200);
    b.add(2); // quiet until 500
    clock.advance(299);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([{ at: 500, batch: [1, 2] }]);
    for (let t = 0; t < 12; t++) {
      b.add(10 + t);
      clock.advance(100); // never quiet for 300 ms
    }
    expect(fired[1]).toEqual({ at: 1500, batch: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19] });
  });

  it('a debounce alone is capped at 60 s so a chatty source cannot starve it', () => {
    const { clock, fired, b } = setup({ batchWindowMs: 0, debounceMs: 5000, maxBatch: 1000 });
    for (let t = 0; t < 70; t++) {
      b.add(t);
      clock.advance(1000);
    }
    expect(fired[0]?.at).toBe(60_000);
  });

  it('maxBatch fires at once', () => {
    const { fired, b } = setup({ batchWindowMs: 60_000, debounceMs: 0, maxBatch: 3 });
    b.add(1);
    b.add(2);
    expect(fired).toEqual([]);
    b.add(3);
    expect(fired).toEqual([{ at: 0, batch: [1, 2, 3] }]);
  });
});
