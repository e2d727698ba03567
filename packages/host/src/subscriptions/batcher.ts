import type { Clock, TimerHandle } from '../clock.js';

export interface BatchPolicy {
  /** Longest a batch waits from its first event (0 = no window). */
  batchWindowMs: number;
  /** Quiet time after the latest event before firing (0 = none). */
  debounceMs: number;
  /** Fire at once when this many events are waiting. */
  maxBatch: number;
}

/** With a debounce but no window, a stream that never goes quiet still fires at least this often. */
export const DEBOUNCE_CEILING_MS = 60_000;

/**
 * Collects items and hands them over in batches, on the clock's timers:
 * - `maxBatch` items waiting → fire now;
 * - otherwise at min(first + batchWindow, latest + debounce) — a debounce alone is capped at
 *   first + 60 s, so a chatty source cannot starve the subscription;
 * - both zero → fire once the work of the current turn is done (collecting what arrived in it: a commit
 *   hands over its events in one loop), with no timer: Node's shortest timer is 1 ms, a tenth of an
 *   observe → claim round trip (issue 18).
 */
export class Batcher<T> {
  private items: T[] = [];
  private firstAt = 0;
  private lastAt = 0;
  private handle: TimerHandle | undefined;
  private dueAt = Number.POSITIVE_INFINITY;
  /** A flush is queued for the end of the current turn (no window, no debounce). */
  private deferred = false;

  constructor(
    private readonly policy: BatchPolicy,
    private readonly clock: Clock,
    private readonly fire: (batch: T[]) => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    const now = this.clock.now();
    if (this.items.length === 0) this.firstAt = now;
    this.lastAt = now;
    this.items.push(item);
    if (this.items.length >= this.policy.maxBatch) {
      this.flush();
      return;
    }
    this.schedule();
  }

  /** When the pending batch will fire (for status and tests). */
  get nextFireAt(): number | undefined {
    return this.items.length ? this.dueAt : undefined;
  }

  private schedule(): void {
    const { batchWindowMs, debounceMs } = this.policy;
    let due: number;
    if (debounceMs > 0) {
      const ceiling = this.firstAt + (batchWindowMs > 0 ? batchWindowMs : DEBOUNCE_CEILING_MS);
      due = Math.min(this.lastAt + debounceMs, ceiling);
    } else due = this.firstAt + batchWindowMs;
    if (batchWindowMs <= 0 && debounceMs <= 0) {
      if (this.deferred) return;
      this.deferred = true;
      this.dueAt = due;
      queueMicrotask(() => {
        if (this.deferred) this.flush();
      });
      return;
    }
    if (due === this.dueAt && this.handle !== undefined) return;
    this.clock.clear(this.handle);
    this.dueAt = due;
    this.handle = this.clock.setTimeout(() => this.flush(), Math.max(0, due - this.clock.now()));
  }

  flush(): void {
    this.deferred = false;
    this.clock.clear(this.handle);
    this.handle = undefined;
    this.dueAt = Number.POSITIVE_INFINITY;
    const batch = this.items;
    this.items = [];
    if (batch.length) this.fire(batch);
  }

  /** Drop what is waiting (shutdown); it is still pending in the ledger and comes back after a restart. */
  cancel(): void {
    this.deferred = false;
    this.clock.clear(this.handle);
    this.handle = undefined;
    this.items = [];
  }
}
