/**
 * Time as the daemon sees it: the one runtime for "what time is it" and "wake me later". Everything whose
 * behaviour depends on time (TTL, expiry, backoff, debounce, hysteresis, retention, interval triggers)
 * asks the Clock it was handed instead of Date.now() or setTimeout, so tests move time instead of
 * sleeping. The node entry point (daemon/main.ts) installs `systemClock`; nothing below it defaults to
 * one (vscode-jsonrpc's `ral.ts` is the model: one runtime, chosen once, at the edge).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Run `fn` once after `ms`. A timer never keeps the process alive on its own: servers do. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Run `fn` every `ms` until cleared. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer; clearing an unknown or already-fired handle does nothing. */
  clear(handle: TimerHandle | undefined): void;
}

/** Opaque: only the Clock that made a handle can clear it. */
export type TimerHandle = { readonly __timer: unique symbol };

/** Node clamps delays above 2^31-1 ms to 1 ms; a far-off wake-up must wait, not fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const clampDelay = (ms: number) => Math.min(Math.max(0, ms), MAX_TIMER_MS);

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, clampDelay(ms)).unref() as unknown as TimerHandle,
  setInterval: (fn, ms) => setInterval(fn, Math.max(1, clampDelay(ms))).unref() as unknown as TimerHandle,
  clear: (h) => {
    // clearTimeout and clearInterval are interchangeable in Node; one call clears either kind.
    if (h !== undefined) clearTimeout(h as unknown as NodeJS.Timeout);
  },
};

interface ManualTimer {
  at: number;
  fn: () => void;
  id: number;
  every?: number;
}

/**
 * A clock that only moves when told to, with timers that fire as it moves: `advance(ms)` runs whatever
 * comes due, in time order (then in the order the timers were set), moving `now()` to each one's instant
 * as it fires. For tests and simulations.
 */
export class ManualClock implements Clock {
  private queue: ManualTimer[] = [];
  private nextId = 1;

  constructor(private current: number = Date.parse('2026-01-01T00:00:00Z')) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add({ at: this.current + clampDelay(ms), fn, id: this.nextId++ });
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, clampDelay(ms));
    return this.add({ at: this.current + every, fn, id: this.nextId++, every });
  }

  clear(handle: TimerHandle | undefined): void {
    this.queue = this.queue.filter((t) => t.id !== (handle as unknown as number));
  }

  /** Move time forward by `ms`, firing every timer that comes due on the way. */
  advance(ms: number): void {
    const until = this.current + ms;
    // A timer that keeps re-arming itself at the same instant is a bug in the code under test: say so.
    let fired = 0;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.queue[0];
      if (!next || next.at > until) break;
      if (++fired > 100_000)
        throw new Error(
          `ManualClock: more than 100000 timers fired in one advance (a timer re-arms itself at once): ${String(next.fn).slice(0, 300)}`,
        );
      this.queue.shift();
      this.current = Math.max(this.current, next.at);
      if (next.every !== undefined) this.queue.push({ ...next, at: next.at + next.every });
      next.fn();
    }
    this.current = Math.max(this.current, until);
  }

  /** Jump to an instant without firing timers: a wall clock stepped by NTP or an operator. */
  set(ms: number): void {
    this.current = ms;
  }

  /**
   * Step the wall clock by `deltaMs` (negative: back) as NTP or an operator does, while the timers keep
   * their delays: Node's timers run on a monotonic clock, so a timer still fires when its delay has passed.
   */
  step(deltaMs: number): void {
    this.current += deltaMs;
    for (const t of this.queue) t.at += deltaMs;
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.queue.length;
  }

  private add(t: ManualTimer): TimerHandle {
    this.queue.push(t);
    return t.id as unknown as TimerHandle;
  }
}

export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
