// The daemon's process tuning (issue 18: a router's memory), checked for its effect on V8 in this test
// file's own process (vitest runs each file in a process of its own).
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { settleHeap, tuneDaemonProcess } from '../../src/daemon/process-tuning.js';

const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

describe('the daemon process tuning', () => {
  it('keeps the young generation at its start size through an allocation burst that would grow it', () => {
    tuneDaemonProcess();
    const before = newSpace();
    // Batches that survive a few scavenges, as start-up's modules and a large request do.
    let kept: unknown[][] = [];
    for (let round = 0; round < 200; round++) {
      const batch = Array.from({ length: 5000 }, (_, i) => ({ i, text: `event-${round}-${i}` }));
      kept.push(batch);
      if (kept.length > 8) kept = kept.slice(-4);
    }
    expect(kept.length).toBeGreaterThan(0);
    expect(newSpace()).toBeLessThanOrEqual(before);
  });

  it('settleHeap collects what is no longer reachable', () => {
    let garbage: string[] | undefined = Array.from({ length: 400_000 }, (_, i) => `garbage-${i}`);
    const withGarbage = getHeapStatistics().used_heap_size;
    expect(garbage.length).toBe(400_000);
    garbage = undefined;
    settleHeap();
    expect(getHeapStatistics().used_heap_size).toBeLessThan(withGarbage - 10 * 2 ** 20);
  });
});
