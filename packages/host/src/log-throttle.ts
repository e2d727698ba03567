import type { Clock } from './clock.js';

/**
 * At most one log line per window for an event an outsider can repeat at no cost (a connection flood):
 * the occurrences in between are counted and reported with the next line, never silently lost.
 */
export class LogThrottle {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  /** Log this occurrence? Returns how many were suppressed since the last logged one, or undefined to stay quiet. */
  take(): number | undefined {
    const now = this.clock.now();
    if (now - this.lastAt < this.windowMs) {
      this.suppressed++;
      return undefined;
    }
    this.lastAt = now;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return suppressed;
  }
}
