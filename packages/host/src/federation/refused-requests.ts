/**
 * Requests the receiver refused, per (group, claimed sender, reason), counted over a recent window: the
 * receiving side of a wrong key or a clock that is off, which otherwise only the sender's doctor sees.
 * Bounded: the sender is a configured peer's node name or UNKNOWN_SENDER (the caller maps it), reasons
 * are a closed set, and counts live in one bucket per minute of the window.
 */
import type { RequestRefusal } from './receiver.js';

/** How far back the doctor's `requests-refused` looks. */
export const REFUSED_WINDOW_MS = 15 * 60_000;
const BUCKET_MS = 60_000;

/** Every sender that is not a configured peer of the group (the name it claimed is kept as `claimed`). */
export const UNKNOWN_SENDER = 'unknown';

export interface RefusedReasonCount {
  reason: RequestRefusal;
  /** Refusals in the window. */
  count: number;
  lastAt: number;
  lastDetail: string;
}

export interface RefusedSender {
  group: string;
  sender: string;
  /** For UNKNOWN_SENDER: the last `routerd-node` claimed (cut to 64 characters), if any. */
  lastClaimed?: string;
  reasons: RefusedReasonCount[];
  /** The last request from this sender that passed authentication (a delivery or a probe). */
  lastAuthenticatedAt?: number;
}

interface Entry {
  reason: RequestRefusal;
  /** Bucket start (ms) → refusals in that minute. */
  buckets: Map<number, number>;
  lastAt: number;
  lastDetail: string;
}

interface SenderEntry {
  group: string;
  sender: string;
  lastClaimed?: string;
  reasons: Map<RequestRefusal, Entry>;
  lastAuthenticatedAt?: number;
}

export class RefusedRequests {
  private readonly senders = new Map<string, SenderEntry>();

  constructor(private readonly windowMs = REFUSED_WINDOW_MS) {}

  record(
    r: { group: string; sender: string; reason: RequestRefusal; detail: string; claimed?: string },
    now: number,
  ): void {
    const s = this.entry(r.group, r.sender);
    if (r.claimed !== undefined) s.lastClaimed = r.claimed.slice(0, 64);
    let e = s.reasons.get(r.reason);
    if (!e) {
      e = { reason: r.reason, buckets: new Map(), lastAt: now, lastDetail: r.detail };
      s.reasons.set(r.reason, e);
    }
    const bucket = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    e.buckets.set(bucket, (e.buckets.get(bucket) ?? 0) + 1);
    e.lastAt = now;
    e.lastDetail = r.detail;
    this.prune(e, now);
  }

  /** A request from this sender passed authentication: a key or clock problem before it is over. */
  authenticated(group: string, sender: string, now: number): void {
    const key = `${group}\u0000${sender}`;
    // Only remembered for senders that were refused: a healthy pair costs nothing here.
    const s = this.senders.get(key);
    if (s) s.lastAuthenticatedAt = now;
  }

  list(now: number): RefusedSender[] {
    const out: RefusedSender[] = [];
    for (const [key, s] of this.senders) {
      const reasons: RefusedReasonCount[] = [];
      for (const [reason, e] of s.reasons) {
        this.prune(e, now);
        if (e.buckets.size === 0) s.reasons.delete(reason);
        else {
          let count = 0;
          for (const n of e.buckets.values()) count += n;
          reasons.push({ reason, count, lastAt: e.lastAt, lastDetail: e.lastDetail });
        }
      }
      if (reasons.length === 0) {
        this.senders.delete(key);
        continue;
      }
      reasons.sort((a, b) => b.lastAt - a.lastAt);
      out.push({
        group: s.group,
        sender: s.sender,
        ...(s.lastClaimed === undefined ? {} : { lastClaimed: s.lastClaimed }),
        reasons,
        ...(s.lastAuthenticatedAt === undefined ? {} : { lastAuthenticatedAt: s.lastAuthenticatedAt }),
      });
    }
    return out;
  }

  private entry(group: string, sender: string): SenderEntry {
    const key = `${group}\u0000${sender}`;
    let s = this.senders.get(key);
    if (!s) {
      s = { group, sender, reasons: new Map() };
      this.senders.set(key, s);
    }
    return s;
  }

  private prune(e: Entry, now: number): void {
    for (const start of e.buckets.keys())
      if (start + BUCKET_MS <= now - this.windowMs) e.buckets.delete(start);
  }
}
