import type { EventDraft, PublishResult } from '@routerd/plugin-sdk';

/** Well under the 8 MiB message limit: an observed draft is about 400 bytes as JSON. */
const MAX_BATCH = 500;
const RETRY_DELAYS_MS = [1000, 5000, 15_000];

export interface PublisherLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Sends drafts with at most one `events/publish` in flight: the host's answer is the backpressure
 * (protocol R-P3). Drafts queued meanwhile are keyed by id, so a refresh that is overtaken by a newer
 * refresh of the same event is sent once, with the later expiry.
 */
export class Publisher {
  private readonly pending = new Map<string, { draft: EventDraft; attempt: number }>();
  private draining?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  /** Counters for logs and tests. */
  readonly stats = { published: 0, accepted: 0, duplicates: 0, rejected: 0, failedCalls: 0 };

  constructor(
    private readonly publish: (drafts: EventDraft[]) => Promise<PublishResult>,
    private readonly log: PublisherLog,
  ) {}

  enqueue(drafts: EventDraft[]): void {
    if (this.stopped) return;
    for (const draft of drafts) this.pending.set(draft.id!, { draft, attempt: 0 });
    if (drafts.length > 0) this.kick();
  }

  /** Resolves when everything queued so far has been answered (or given up on). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.pending.clear();
  }

  private kick(): void {
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      // Drafts enqueued between the end of the loop and this callback found a drain still "running".
      if (this.pending.size > 0 && !this.stopped && this.retryTimer === undefined) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0 && !this.stopped) {
      const batch = [...this.pending.values()].slice(0, MAX_BATCH);
      for (const item of batch) this.pending.delete(item.draft.id!);
      try {
        const res = await this.publish(batch.map((b) => b.draft));
        this.stats.published += batch.length;
        this.stats.accepted += res.accepted.length;
        this.stats.duplicates += res.duplicates.length;
        this.stats.rejected += res.rejected.length;
        // Rejected drafts are not retried: the same draft would be rejected again (R-P3).
        for (const r of res.rejected) this.log.warn('host rejected an event', { id: r.id, reason: r.reason });
      } catch (err) {
        this.stats.failedCalls++;
        this.requeue(batch, err);
        return;
      }
    }
  }

  /** A failed call (host busy, restarting): try the batch again later unless a newer draft replaced it. */
  private requeue(batch: { draft: EventDraft; attempt: number }[], err: unknown): void {
    const delay = RETRY_DELAYS_MS[batch[0]!.attempt];
    this.log.warn('events/publish failed', {
      error: err instanceof Error ? err.message : String(err),
      events: batch.length,
      retryInMs: delay ?? null,
    });
    if (delay === undefined || this.stopped) return;
    for (const item of batch) {
      if (!this.pending.has(item.draft.id!))
        this.pending.set(item.draft.id!, { ...item, attempt: item.attempt + 1 });
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
  }
}
