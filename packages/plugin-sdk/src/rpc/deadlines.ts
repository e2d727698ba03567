/** The longest delay a Node timer takes; a longer one fires at once (with a warning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DeadlinesOptions {
  /** What `at` is measured on: epoch ms for a deadline shared with the peer, a monotonic clock otherwise. */
  now: () => number;
  /**
   * Whether a pending deadline keeps the process alive, as a timer of its own would. Without it the
   * timer never does: something else (the call's pipe) must.
   */
  holdsProcess: boolean;
}

interface Entry {
  at: number;
  expire: () => void;
}

/**
 * The deadlines of the calls in flight on one connection, under a single timer armed for the earliest.
 * A timer per call cost more than the rest of a warm call's bookkeeping (issue 18): each delay that
 * differs from the last makes Node a new timer list, queues it and re-arms the loop's timer. Calls end
 * in the order they start, mostly, and each deadline is later than the ones before, so a call only
 * adds and removes an entry; the timer is re-armed when an earlier deadline arrives or when it fires.
 */
export class Deadlines {
  private readonly pending = new Set<Entry>();
  private timer?: NodeJS.Timeout;
  private armedAt = Number.POSITIVE_INFINITY;

  constructor(private readonly opts: DeadlinesOptions) {}

  /** Calls `expire` once `at` has passed; the function returned withdraws the deadline. */
  add(at: number, expire: () => void): () => void {
    const entry: Entry = { at, expire };
    this.pending.add(entry);
    if (at < this.armedAt) this.arm(at);
    else if (this.opts.holdsProcess && this.pending.size === 1) this.timer?.ref();
    return () => {
      if (this.pending.delete(entry) && this.pending.size === 0 && this.opts.holdsProcess) {
        // Left armed, but no longer holding the process: it finds nothing when it fires.
        this.timer?.unref();
      }
    };
  }

  get size(): number {
    return this.pending.size;
  }

  /** Withdraws every deadline and the timer (the connection closed). */
  clear(): void {
    this.pending.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_TIMER_MS, Math.max(0, at - this.opts.now())));
    if (!this.opts.holdsProcess || this.pending.size === 0) this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = this.opts.now();
    let next = Number.POSITIVE_INFINITY;
    for (const entry of [...this.pending]) {
      // An earlier expiry may have withdrawn this one.
      if (!this.pending.has(entry)) continue;
      if (entry.at <= now) {
        this.pending.delete(entry);
        entry.expire();
      } else if (entry.at < next) next = entry.at;
    }
    if (next < this.armedAt && this.pending.size > 0) this.arm(next);
  }
}
