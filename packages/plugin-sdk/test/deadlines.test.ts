import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from '../src/rpc/deadlines.js';

// One timer for the deadlines of every call in flight: the clock is moved, nothing sleeps.
beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const make = (holdsProcess = true) => new Deadlines({ now: () => Date.now(), holdsProcess });

describe('Deadlines', () => {
  it('expires each deadline once it has passed, in order, under a single timer', () => {
    const d = make();
    const expired: string[] = [];
    d.add(100, () => expired.push('a'));
    d.add(200, () => expired.push('b'));
    d.add(300, () => expired.push('c'));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(99);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(200);
    expect(expired).toEqual(['a', 'b', 'c']);
    expect(d.size).toBe(0);
  });

  it('never expires a withdrawn deadline, even one an earlier expiry withdraws', () => {
    const d = make();
    const expired: string[] = [];
    let withdrawB = () => {};
    d.add(100, () => {
      expired.push('a');
      withdrawB();
    });
    withdrawB = d.add(100, () => expired.push('b'));
    const withdrawC = d.add(150, () => expired.push('c'));
    withdrawC();
    vi.advanceTimersByTime(1000);
    expect(expired).toEqual(['a']);
  });

  it('re-arms for a deadline earlier than the one armed', () => {
    const d = make();
    const expired: string[] = [];
    d.add(1000, () => expired.push('late'));
    d.add(100, () => expired.push('early'));
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['early']);
    vi.advanceTimersByTime(900);
    expect(expired).toEqual(['early', 'late']);
  });

  it('arms no timer for a call whose deadline is later than the one armed (calls one after another)', () => {
    const d = make();
    const armed = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 1; i <= 50; i++) {
      const withdraw = d.add(Date.now() + 30_000, () => {});
      vi.advanceTimersByTime(10);
      withdraw();
    }
    expect(armed).toHaveBeenCalledTimes(1);
    armed.mockRestore();
  });

  it('expires a deadline beyond the longest timer Node takes, at its time (not at once)', () => {
    const d = make();
    const far = 2 ** 31 + 5_000;
    let expired = false;
    d.add(far, () => {
      expired = true;
    });
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(expired).toBe(false);
    vi.advanceTimersByTime(5_001);
    expect(expired).toBe(true);
  });

  it('holds the process only while a deadline is pending, when asked to', () => {
    const held = make(true);
    const withdraw = held.add(1000, () => {});
    const timer = (held as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(true);
    withdraw();
    expect(timer.hasRef()).toBe(false);
    held.add(2000, () => {});
    expect(timer.hasRef()).toBe(true);

    const loose = make(false);
    loose.add(1000, () => {});
    expect((loose as unknown as { timer: NodeJS.Timeout }).timer.hasRef()).toBe(false);
  });
});
