/**
 * Time as the daemon sees it. Everything whose behaviour depends on time (TTL, expiry, later backoff and
 * debounce) asks a Clock instead of Date.now(), so tests move time instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. For tests and simulations. */
export class ManualClock implements Clock {
  constructor(private current: number = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
