import type { Clock } from '../clock.js';

/** A token bucket: `burst` at once, refilled at `perMinute`. Time comes from the one clock. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly clock: Clock,
    private readonly perMinute: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.at = clock.now();
  }

  /** Take a token: 0 when taken, else the milliseconds until one is there (nothing taken). */
  take(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perMinute) / 60_000);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 60_000) / this.perMinute);
  }
}
