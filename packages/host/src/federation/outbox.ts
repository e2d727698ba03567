import { errorFields } from '../background.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import type { DeliveryStore, DueDelivery, PeerStateName } from '../store/deliveries.js';
import type { PeerClient, PushResult } from './peer-client.js';
import { type BackoffPolicy, nextDelayMs } from './retry-policy.js';

export interface PeerWorkerOptions {
  peer: string;
  client: PeerClient;
  store: DeliveryStore;
  clock: Clock;
  backoff: BackoffPolicy;
  metrics?: Metrics;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;
  /** Per request: at most this many events and bytes. */
  maxBatch?: number;
  maxBatchBytes?: number;
  /** Requests in flight to this peer at once. */
  maxInFlight?: number;
  /** Under load (a request already in flight), wait this long for a small batch to fill. */
  lingerMs?: number;
  /** Consecutive failed requests before the peer is marked backing-off and only probed. */
  failuresBeforeBackoff?: number;
  /** 401 is retried this many times (a key rotation in progress), then the rows fail. */
  maxAuthRetries?: number;
  /** After the store refuses a read or write (a full disk, say), leave it alone this long. */
  storeRetryMs?: number;
}

/**
 * Delivers one peer's outbox. Event-driven: `kick()` after a commit starts sending at once; a timer is
 * armed only for the next retry. Each peer has its own worker, so a dead or slow peer never delays
 * another. Batches form naturally: while requests are in flight, new rows accumulate for the next one.
 */
export class PeerWorker {
  state: PeerStateName = 'healthy';
  private consecutiveFailures = 0;
  private readonly inFlightIds = new Set<string>();
  private inFlight = 0;
  private pumping = false;
  private again = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly idle = new Set<() => void>();
  private lastExpireMs = Number.NEGATIVE_INFINITY;
  private linger: 'none' | 'waiting' | 'elapsed' = 'none';
  private lastSuccessRecordedMs = Number.NEGATIVE_INFINITY;
  private lingerTimer?: NodeJS.Timeout;
  private storePaused = false;

  constructor(private readonly o: PeerWorkerOptions) {}

  get peer(): string {
    return this.o.peer;
  }

  /** New rows (or a redeliver) for this peer: try now. */
  kick(): void {
    if (this.stopped) return;
    this.pump();
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.lingerTimer);
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private pump(): void {
    // A timer or a completion that fires after stop() must not touch a store that may be closed.
    if (this.stopped || this.storePaused) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        const now = this.o.clock.now();
        // Marking expired rows is bookkeeping (due() never returns an expired event): once a second is enough.
        if (now - this.lastExpireMs >= 1000) {
          this.o.store.expire(this.o.peer, now);
          this.lastExpireMs = now;
        }
        const maxInFlight = this.state === 'backing-off' ? 1 : (this.o.maxInFlight ?? 4);
        while (!this.stopped && this.inFlight < maxInFlight) {
          // Idle: send at once (latency). Busy: let the next batch fill for a few ms before reading it
          // (throughput), instead of reading and sending a sliver of it on every commit.
          if (this.inFlight > 0 && this.linger !== 'elapsed') {
            if (this.linger === 'none') {
              this.linger = 'waiting';
              this.lingerTimer = setTimeout(() => {
                this.linger = 'elapsed';
                this.pump();
              }, this.o.lingerMs ?? 5);
            }
            break;
          }
          // Backing off: one probe of a single event; the backlog drains in batches once it answers.
          const count = this.state === 'backing-off' ? 1 : (this.o.maxBatch ?? 100);
          const batch = this.o.store.due(
            this.o.peer,
            now,
            count,
            this.o.maxBatchBytes ?? 256 * 1024,
            this.inFlightIds,
          );
          if (batch.length === 0) break;
          this.linger = 'none';
          this.send(batch);
        }
      } while (this.again && !this.stopped);
      this.arm();
    } catch (err) {
      this.storeFailed('reading the outbox', err);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * The store refused a read or write (SQLITE_FULL on a full state partition, an I/O error): the daemon
   * keeps running and the rows keep their state — a batch whose outcome could not be recorded is simply
   * sent again later (the receiver absorbs it as a duplicate). Paused, so a sick disk is not hammered.
   */
  private storeFailed(what: string, err: unknown): void {
    const pauseMs = this.o.storeRetryMs ?? 1000;
    this.o.log?.('error', `${what} failed: delivery to this peer pauses, then tries again`, {
      peer: this.o.peer,
      ...errorFields(err),
      retryInMs: pauseMs,
    });
    if (this.stopped) return;
    this.storePaused = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.storePaused = false;
      this.pump();
    }, pauseMs);
  }

  /** Wake for the next retry; nothing to wait for means no timer at all (no polling). */
  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped || this.inFlight >= (this.o.maxInFlight ?? 4)) return;
    const next = this.o.store.nextDueMs(this.o.peer);
    if (next === undefined) return;
    const delay = Math.max(0, next - this.o.clock.now());
    if (delay === 0 && this.inFlight > 0) return; // due rows are in flight; their completion pumps again
    this.timer = setTimeout(() => this.pump(), Math.min(delay, 2 ** 31 - 1));
  }

  private send(batch: DueDelivery[]): void {
    this.inFlight++;
    for (const d of batch) this.inFlightIds.add(d.event.id);
    this.o.client
      .push(batch.map((d) => d.event))
      .catch(
        (err: unknown): PushResult => ({
          kind: 'retry',
          reason: `client error: ${String(err)}`,
          latencyMs: 0,
        }),
      )
      .then((result) => {
        try {
          this.settle(batch, result);
        } catch (err) {
          this.storeFailed('recording a delivery outcome', err);
        }
      })
      .finally(() => {
        this.inFlight--;
        for (const d of batch) this.inFlightIds.delete(d.event.id);
        if (this.stopped && this.inFlight === 0) for (const resolve of this.idle) resolve();
        else this.pump();
      });
  }

  private settle(batch: DueDelivery[], result: PushResult): void {
    const now = this.o.clock.now();
    const ids = batch.map((d) => d.event.id);
    const peer = this.o.peer;
    this.o.metrics?.deliveryAttempts.inc({ peer, outcome: result.kind });
    if (result.kind === 'delivered') {
      const rejected = new Map((result.body?.rejected ?? []).map((r) => [r.id, r.reason]));
      const ok = ids.filter((id) => !rejected.has(id));
      this.o.store.markDelivered(peer, ok, now, result.status ?? 200);
      for (const [id, reason] of rejected)
        this.o.store.markFailed(peer, [id], now, `rejected by peer: ${reason}`, result.status);
      for (const d of batch)
        if (!rejected.has(d.event.id))
          this.o.metrics?.deliveryLatency.observe({ peer }, (now - d.enqueuedMs) / 1000);
      this.o.metrics?.delivered.inc({ peer }, ok.length);
      if (this.state !== 'healthy') this.o.log?.('info', 'peer answers again: draining backlog', { peer });
      const changed = this.state !== 'healthy' || this.consecutiveFailures !== 0;
      this.state = 'healthy';
      this.consecutiveFailures = 0;
      // Steady success need not rewrite the peer row per request: on change, else once a second.
      if (changed || now - this.lastSuccessRecordedMs >= 1000) {
        this.o.store.recordAttempt(peer, now, true, this.state, 0);
        this.lastSuccessRecordedMs = now;
      }
      return;
    }
    if (result.kind === 'failed') {
      // The same body can never succeed (400, 403, 413…): fail these rows now, the peer itself is fine.
      this.o.store.markFailed(peer, ids, now, result.reason, result.status);
      this.o.store.recordAttempt(peer, now, false, this.state, this.consecutiveFailures, result.reason);
      this.o.log?.('warn', 'delivery failed permanently', {
        peer,
        events: ids.length,
        reason: result.reason,
      });
      return;
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= (this.o.failuresBeforeBackoff ?? 3) && this.state !== 'backing-off') {
      this.state = 'backing-off';
      this.o.log?.('warn', 'peer unreachable: backing off and probing', { peer, reason: result.reason });
    }
    const authLimit = this.o.maxAuthRetries ?? 3;
    const retryIds: string[] = [];
    for (const d of batch) {
      const attempt = d.attempts + 1;
      if (result.kind === 'auth' && attempt >= authLimit) {
        this.o.store.markFailed(
          peer,
          [d.event.id],
          now,
          `${result.reason}: signature refused ${attempt} times (check the shared key)`,
          result.status,
        );
      } else retryIds.push(d.event.id);
    }
    const attempts = Math.max(...batch.map((d) => d.attempts)) + 1;
    const delay = nextDelayMs(
      this.o.backoff,
      attempts,
      result.kind === 'retry' ? result.retryAfterMs : undefined,
    );
    this.o.store.markRetry(peer, retryIds, now, now + delay, result.reason, result.status);
    this.o.store.recordAttempt(peer, now, false, this.state, this.consecutiveFailures, result.reason);
  }
}
