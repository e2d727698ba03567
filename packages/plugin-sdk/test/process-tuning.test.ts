// The process tuning of routerd-eventd and plugin bins (issue 18: a router's memory), checked for its
// effect on V8 in this test file's own process (vitest runs each file in a process of its own).
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { settleHeap, tuneProcess, youngGenerationBounded } from '../src/process/index.js';

// V8's own answer about a function (natives syntax, allowed here for the functions compiled after it).
setFlagsFromString('--allow-natives-syntax');
const optimizationStatus = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
/** V8's OptimizationStatus bit for code TurboFan has compiled. */
const TURBOFANNED = 1 << 6;

/** Runs `f` until TurboFan has compiled it (it compiles on a background thread), or gives up: whether it has. */
async function warm(f: (n: number) => number): Promise<boolean> {
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 20_000; i++) f(100);
    if (optimizationStatus(f) & TURBOFANNED) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

describe('tuneProcess and settleHeap', () => {
  it('keeps the young generation at its start size through an allocation burst that would grow it', async () => {
    await tuneProcess();
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

  it('optimises nothing during start-up, and hot code again once settleHeap says the process has started', async () => {
    await tuneProcess();
    const atStart = (n: number) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += i % 7;
      return s;
    };
    expect(await warm(atStart)).toBe(false);
    settleHeap();
    const afterStart = (n: number) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += i % 5;
      return s;
    };
    expect(await warm(afterStart)).toBe(true);
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

describe('youngGenerationBounded', () => {
  it('finds the node flag that bounds the young generation, in the arguments or NODE_OPTIONS', () => {
    expect(youngGenerationBounded(['--max-semi-space-size=4'], '')).toBe(true);
    expect(youngGenerationBounded([], '--trace-warnings --max_semi_space_size=4')).toBe(true);
    expect(youngGenerationBounded(['--max-old-space-size=100'], '--min-semi-space-size=1')).toBe(false);
    expect(youngGenerationBounded([], '')).toBe(false);
  });
});
