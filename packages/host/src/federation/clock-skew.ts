/**
 * Clock skew as the receiver sees it: `webhook-timestamp` of each request minus our clock, per (group,
 * sender), kept apart for requests that passed authentication and for those refused by the signature
 * check. A sender drifting towards the replay window is about to be refused with 401s that look like a
 * key problem; one beyond it is refused on every request, and only the unauthenticated timestamps of
 * those refusals say so (anyone could have written them, hence the mark).
 */
export interface SkewSample {
  group: string;
  sender: string;
  /** False: measured from requests refused by the signature check (their timestamp is a claim). */
  authenticated: boolean;
  /** Sender's timestamp minus ours, in ms (positive: the sender is ahead). Resolution is 1 s. */
  lastSkewMs: number;
  /** Largest |skew| in the current window, signed as measured. */
  maxSkewMs: number;
  lastAt: number;
}

/** How long a large skew is remembered after the clocks agree again (the doctor wants "recent"). */
export const SKEW_WINDOW_MS = 10 * 60_000;

export class ClockSkewTracker {
  private readonly samples = new Map<string, SkewSample & { windowStart: number }>();

  record(group: string, sender: string, timestampSeconds: number, now: number, authenticated = true): void {
    // The sender floors to whole seconds; compare against our own floored clock so agreement reads 0.
    const skew = timestampSeconds * 1000 - Math.floor(now / 1000) * 1000;
    const key = `${group}\u0000${sender}\u0000${authenticated}`;
    const s = this.samples.get(key);
    if (!s || now - s.windowStart > SKEW_WINDOW_MS) {
      this.samples.set(key, {
        group,
        sender,
        authenticated,
        lastSkewMs: skew,
        maxSkewMs: skew,
        lastAt: now,
        windowStart: now,
      });
      return;
    }
    s.lastSkewMs = skew;
    s.lastAt = now;
    if (Math.abs(skew) > Math.abs(s.maxSkewMs)) s.maxSkewMs = skew;
  }

  list(): SkewSample[] {
    return [...this.samples.values()].map(({ windowStart: _, ...s }) => s);
  }
}
