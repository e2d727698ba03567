import type { PeerStateName } from '@routerd/host-wire';
import { errorFields } from '../background.js';
import { type Clock, isoAt, type TimerHandle } from '../clock.js';
import { LogThrottle } from '../log-throttle.js';
import type { Metrics } from '../metrics.js';
import type { DeliveryStore, DueDelivery } from '../store/deliveries.js';
import { type AuthRefusal, describeAuthRefusal } from './auth-refusal.js';
import type { PeerClient, PushResult } from './peer-client.js';
import { ReadCursor } from './read-cursor.js';
import { type BackoffPolicy, CLOCK_STEPPED_BACK, latestRetryMs, nextDelayMs } from './retry-policy.js';

/** What `probeNow` did (the answer of `routerctl federation peers retry`). */
/**
 * Requests in flight from which a small batch lingers. With one out, a second request costs the receiver
 * one more commit and saves the event up to lingerMs: at a light, steady rate (a router's observations)
 * that wait was a fifth of the slowest events' time from emit to peer (issue 18: 5.6 of ~27 ms, the slowest
 * 1 % at 500 events/s). From two on, the pipe is busy and fuller batches pay.
 */
export const LINGER_IN_FLIGHT = 2;

export interface ProbeReport {
  /**
   * delivery: the oldest pending event was sent as the probe; health: nothing was pending, so the peer's
   * GET /v1/health was asked; none: the peer was healthy, its pending rows were only made due now.
   */
  probe: 'delivery' | 'health' | 'none';
  /** Deliveries to this peer still pending after the probe (being sent now if it answered). */
  pending: number;
  /** Why the probe could not tell more, when it could not. */
  detail?: string;
}

/**
 * Events per request, unless the peer's body limit (413) says fewer. A request costs the receiver one
 * commit (an fsync) and both sides a signature, an HTTP exchange and a mark: at 100 the receiver's commits
 * were a quarter of its CPU per event (issue 18). 500 small events are ~225 KiB, within the byte budget.
 */
export const DEFAULT_MAX_BATCH = 500;

/** Per event, the receiver's reason to refuse it for now but not for ever: its clock has not reached it yet. */
const LATER = 'time-in-future';

/** The receiver's answer to a body over its listen.maxBodyBytes. */
const TOO_LARGE = 413;

/**
 * Refusals that can be about one event of a batch: malformed (400), not this sender's to send (403),
 * unprocessable (422). A peer that does not name the event (an older version, another implementation, a
 * proxy) gets smaller requests until the event is alone (see Isolation).
 */
const REFUSALS_OF_CONTENT = new Set([400, 403, 422]);

/**
 * A peer refused a batch of several events for its content without naming the event (so the refusal may
 * be one event's): fewer events per request, halved by each such refusal, until a request of one is
 * refused — that event fails, alone. `delivered`: a request to the peer succeeded meanwhile. Without one,
 * the refusal was every request's, not an event's, and later batches fail whole again (refusesWhole):
 * a peer that refuses everything costs about log2(batch) requests, not one per event.
 */
interface Isolation {
  limit: number;
  delivered: boolean;
}

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
  /** Under load (LINGER_IN_FLIGHT requests already in flight), wait this long for a small batch to fill. */
  lingerMs?: number;
  /** Consecutive failed requests before the peer is marked backing-off (or auth-refused) and only probed. */
  failuresBeforeBackoff?: number;
  /** The group's replay window: a 401 whose Date header is further from our clock than this is the clock's doing. */
  replayWindowMs: number;
  /** After the store refuses a read or write (a full disk, say), leave it alone this long. */
  storeRetryMs?: number;
  /** GET the peer's /v1/health: how a probe tells "it is back" when nothing is pending to send. */
  health?: () => Promise<{ ok: true } | { ok: false; detail: string }>;
  /** The state recorded before this worker existed (a restart or a reload): probed at once by probeNow. */
  restore?: { state: PeerStateName; consecutiveFailures: number };
  /** After the peer's acknowledgement is recorded: the deliveries it acknowledged (for trace spans). */
  onDelivered?: (peer: string, delivered: readonly DueDelivery[], now: number) => void;
}

/**
 * Delivers one peer's outbox. Event-driven: `kick()` after a commit starts sending at once; a timer is
 * armed only for the next retry. Each peer has its own worker, so a dead or slow peer never delays
 * another. Batches form naturally: while requests are in flight, new rows accumulate for the next one.
 *
 * A peer that fails `failuresBeforeBackoff` requests in a row is no longer sent batches: one probe (its
 * oldest pending event) goes out per backoff interval of the peer, however many rows are waiting, and the
 * first success makes every pending row due at once. A 401 never fails a row — a wrong key or clock is
 * fixed by an operator, and what was emitted meanwhile must still arrive: rows stay pending until their
 * event expires, and the peer is `auth-refused` with what to fix in its last error.
 */
export class PeerWorker {
  state: PeerStateName = 'healthy';
  /** Why the peer refuses our signature, while it does (state auth-refused, or on the way there). */
  refusal?: AuthRefusal;
  private consecutiveFailures = 0;
  /** Not healthy: no probe before this time (the peer's backoff). */
  private nextProbeMs = 0;
  private readonly settledWaiters = new Set<() => void>();
  private readonly inFlightIds = new Set<string>();
  private readonly cursor = new ReadCursor();
  private inFlight = 0;
  private pumping = false;
  private again = false;
  private timer?: TimerHandle;
  private stopped = false;
  private readonly idle = new Set<() => void>();
  /**
   * When expired rows were last marked: events that expired up to then have had this peer's pending rows
   * marked, and the once-a-second pass reads only what expired since. A row that pass cannot see (put
   * back to pending, or enqueued, for an event that had expired already) is due yet never read:
   * expireNow, which reads every expired event, marks it once nothing else is due.
   */
  private lastExpireMs = Number.MIN_SAFE_INTEGER;
  /** When expireNow last read every expired event: once per millisecond is enough. */
  private lastFullExpireMs = Number.NEGATIVE_INFINITY;
  private linger: 'none' | 'waiting' | 'elapsed' = 'none';
  private lastSuccessRecordedMs = Number.NEGATIVE_INFINITY;
  private lingerTimer?: TimerHandle;
  private storePaused = false;
  /** Events per request: maxBatch, halved by each 413 for a batch of several (the peer's body limit). */
  private batchLimit: number;
  /** Looking for the event of a batch the peer refused without naming it (see Isolation). */
  private isolation?: Isolation;
  /** The peer refused every request, alone or not, since its last success: batches fail whole. */
  private refusesWhole = false;
  private readonly answerLog: LogThrottle;

  constructor(private readonly o: PeerWorkerOptions) {
    this.batchLimit = o.maxBatch ?? DEFAULT_MAX_BATCH;
    this.answerLog = new LogThrottle(o.clock, 60_000);
    if (o.restore) {
      this.state = o.restore.state;
      this.consecutiveFailures = o.restore.consecutiveFailures;
    }
  }

  get peer(): string {
    return this.o.peer;
  }

  /** New rows (or a redeliver) for this peer: try now. */
  kick(): void {
    if (this.stopped) return;
    this.pump();
  }

  /**
   * Try the peer now (`routerctl federation peers retry`, and every start and reload): a peer that is not
   * healthy gets one probe at once — its oldest pending event, or a health check when nothing is pending —
   * and drains if it answers; a healthy one has its pending rows' backoff cleared. Resolves once the
   * probe's answer is recorded.
   */
  async probeNow(): Promise<ProbeReport> {
    const peer = this.o.peer;
    const pending = () => this.o.store.pendingCount(peer);
    if (this.stopped) return { probe: 'none', pending: pending(), detail: 'the worker is stopping' };
    const now = this.o.clock.now();
    if (this.state === 'healthy') {
      this.o.store.dueBy(peer, now);
      this.cursor.rewind();
      this.kick();
      return { probe: 'none', pending: pending() };
    }
    this.nextProbeMs = now;
    const settled = new Promise<void>((resolve) => this.settledWaiters.add(resolve));
    this.kick();
    // In flight: ours, or one that was already on its way — its answer is as fresh.
    if (this.inFlight > 0) {
      await settled;
      return { probe: 'delivery', pending: pending() };
    }
    this.settledWaiters.clear();
    if (pending() > 0 || !this.o.health) {
      return { probe: 'none', pending: pending(), detail: 'nothing could be sent (see the log)' };
    }
    // Nothing pending to send: whether the peer answers at all is what can be known.
    const health = await this.o.health();
    if (!health.ok) return { probe: 'health', pending: 0, detail: `no answer: ${health.detail}` };
    if (this.state === 'auth-refused') {
      return {
        probe: 'health',
        pending: 0,
        detail:
          'it answers its health check, but nothing is pending to prove the key and clock with: the state clears on the next accepted delivery',
      };
    }
    this.recovered(this.o.clock.now(), 'health');
    return { probe: 'health', pending: 0 };
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.o.clock.clear(this.timer);
    this.o.clock.clear(this.lingerTimer);
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
        // Marking expired rows is bookkeeping (due() never returns an expired event): once a second is
        // enough, and so is an exact read for a row put back behind the read cursor.
        if (now - this.lastExpireMs >= 1000) {
          // Since the last pass; from now on after the clock stepped back (what expired before is marked).
          this.o.store.expire(this.o.peer, now, Math.min(this.lastExpireMs, now));
          this.lastExpireMs = now;
          this.cursor.rewind();
        }
        if (this.state !== 'healthy') {
          this.probe(now);
          continue;
        }
        const maxInFlight = this.o.maxInFlight ?? 4;
        while (!this.stopped && this.inFlight < maxInFlight) {
          // Idle or one request out: send at once (latency). Busy: a full batch goes at once too, but a
          // sliver waits a few ms for more rows (throughput) instead of going out on every commit.
          const busy = this.inFlight >= LINGER_IN_FLIGHT && this.linger !== 'elapsed';
          if (busy && this.linger === 'waiting') break;
          const skip = this.cursor.skip(this.inFlightIds, now);
          const batch = this.o.store.due(
            this.o.peer,
            now,
            Math.min(this.batchLimit, this.isolation?.limit ?? Number.POSITIVE_INFINITY),
            this.o.maxBatchBytes ?? 256 * 1024,
            skip,
          );
          const { deliveries, full } = batch;
          if (deliveries.length === 0) {
            // Nothing left to send: whatever the peer refused has been sent again in full (or expired).
            if (this.inFlight === 0) this.isolation = undefined;
            break;
          }
          if (busy && !full) {
            this.linger = 'waiting';
            this.lingerTimer = this.o.clock.setTimeout(() => {
              this.linger = 'elapsed';
              this.pump();
            }, this.o.lingerMs ?? 5);
            break;
          }
          this.linger = 'none';
          this.cursor.sent(batch, skip);
          this.send(deliveries);
          // Not full: that was every row due now. Reading again would find none, and it would hold up
          // this request's write (Node writes it once this turn of the event loop ends). Rows committed
          // since are read on the pass their own kick asks for (`again`).
          if (!full) break;
        }
      } while (this.again && !this.stopped);
      this.arm();
    } catch (err) {
      this.storeFailed('reading the outbox', err);
    } finally {
      this.pumping = false;
    }
  }

  /** Not healthy: one event, the oldest pending whatever its own next attempt, once the peer's backoff is over. */
  private probe(now: number): void {
    if (this.inFlight > 0 || now < this.nextProbeMs) return;
    const { deliveries } = this.o.store.due(
      this.o.peer,
      now,
      1,
      this.o.maxBatchBytes ?? 256 * 1024,
      {},
      Number.MAX_SAFE_INTEGER,
    );
    if (deliveries.length > 0) this.send(deliveries);
    else this.expireNow(now);
  }

  /**
   * Rows were due but none could be read: their events expired since the last bookkeeping, or before a
   * row was put back (which the once-a-second pass, reading only what expired since its last, cannot
   * see). Every expired event is read: marking them now keeps arm() from waking at once for rows that
   * will never be sent.
   */
  private expireNow(now: number): void {
    if (this.lastFullExpireMs >= now) return;
    this.o.store.expire(this.o.peer, now);
    this.lastFullExpireMs = now;
    this.lastExpireMs = now;
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
    this.o.clock.clear(this.timer);
    this.timer = this.o.clock.setTimeout(() => {
      this.storePaused = false;
      this.pump();
    }, pauseMs);
  }

  /**
   * No retry waits longer than the peer's longest backoff from now (latestRetryMs): rows and the peer's
   * next probe scheduled before the wall clock stepped back would otherwise hold its whole outbox for as
   * long as the step. Returns the next due time after bringing them back.
   */
  private withinBackoff(next: number, now: number): number {
    const latest = latestRetryMs(this.o.backoff, now);
    if (next <= latest && this.nextProbeMs <= latest) return next;
    const rows = next > latest ? this.o.store.dueBy(this.o.peer, latest) : 0;
    this.nextProbeMs = Math.min(this.nextProbeMs, latest);
    this.o.log?.('warn', CLOCK_STEPPED_BACK, {
      peer: this.o.peer,
      rows,
      dueAt: isoAt(latest),
    });
    return Math.min(next, latest);
  }

  /** Wake for the next retry; nothing to wait for means no timer at all (no polling). */
  private arm(): void {
    this.o.clock.clear(this.timer);
    if (this.stopped) return;
    const healthy = this.state === 'healthy';
    // A completion pumps again: while probing, the probe in flight; else when every slot is taken.
    if (this.inFlight >= (healthy ? (this.o.maxInFlight ?? 4) : 1)) return;
    let next = this.o.store.nextDueMs(this.o.peer);
    if (next === undefined) return;
    const now = this.o.clock.now();
    next = this.withinBackoff(next, now);
    if (healthy && next <= now && this.inFlight === 0) {
      // Due, nothing in flight, yet the pump read none: their events expired since the last bookkeeping.
      // Marked here, where that is known, rather than on every pump that finds the outbox empty.
      this.expireNow(now);
      next = this.o.store.nextDueMs(this.o.peer);
      if (next === undefined) return;
    }
    const delay = Math.max(0, (healthy ? next : this.nextProbeMs) - now);
    if (delay === 0 && this.inFlight > 0) return; // due rows are in flight; their completion pumps again
    this.timer = this.o.clock.setTimeout(() => this.pump(), delay);
  }

  private send(batch: DueDelivery[]): void {
    this.inFlight++;
    for (const d of batch) this.inFlightIds.add(d.event.id);
    this.o.client
      .pushStored(batch.map((d) => d.event))
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
        for (const resolve of this.settledWaiters) resolve();
        this.settledWaiters.clear();
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
    const attempts = Math.max(...batch.map((d) => d.attempts)) + 1;
    this.o.metrics?.deliveryAttempts.inc({ peer, outcome: result.kind });
    if (result.kind === 'delivered') {
      const rejected = result.answer?.rejected ?? new Map<string, string>();
      if (result.answer?.unreadable) this.unreadableAnswer(result.answer.unreadable);
      const ok = ids.filter((id) => !rejected.has(id));
      this.o.store.markDelivered(peer, ok, now, result.status ?? 200);
      if (this.o.onDelivered && ok.length > 0)
        this.o.onDelivered(
          peer,
          batch.filter((d) => !rejected.has(d.event.id)),
          now,
        );
      if (this.isolation) this.isolation.delivered = true;
      this.refusesWhole = false;
      // First: recovering makes every pending row due, which must not undo the retries set just below.
      this.recovered(now, 'delivery');
      // Stamped ahead of the peer's clock (ours ran ahead when it was emitted): acceptable once the peer's
      // clock catches up, so it waits like any retry instead of failing for good.
      const later = ids.filter((id) => rejected.get(id) === LATER);
      if (later.length > 0) {
        this.o.store.markRetry(
          peer,
          later,
          now,
          now + nextDelayMs(this.o.backoff, attempts),
          `rejected by peer: ${LATER} — stamped further ahead of the peer's clock than the replay window (this node's clock is or was ahead): sent again until the peer's clock reaches it or it expires`,
          result.status,
        );
      }
      for (const [id, reason] of rejected)
        if (reason !== LATER)
          this.o.store.markFailed(peer, [id], now, `rejected by peer: ${reason}`, result.status);
      // The peer's series looked up once per batch, not once per event.
      const latency = this.o.metrics?.deliveryLatency.labels({ peer });
      if (latency)
        for (const d of batch) if (!rejected.has(d.event.id)) latency.observe((now - d.enqueuedMs) / 1000);
      this.o.metrics?.delivered.inc({ peer }, ok.length);
      return;
    }
    if (result.kind === 'failed' && result.status === TOO_LARGE && batch.length > 1) {
      // Too large together is not too large alone: the peer's body limit (listen.maxBodyBytes, at least
      // 64 KiB) is below this batch. Fewer per request from now on, and these rows again at once; only an
      // event refused on its own fails.
      this.batchLimit = Math.max(1, Math.floor(batch.length / 2));
      this.o.store.markRetry(peer, ids, now, now, result.reason, result.status);
      this.cursor.rewind();
      this.o.log?.('warn', 'peer refused a batch as too large: sending fewer events per request', {
        peer,
        events: batch.length,
        maxEventsPerRequest: this.batchLimit,
        reason: result.reason,
      });
      return;
    }
    const refused = result.kind === 'failed' ? result.refusedEvents : undefined;
    if (refused && refused.size < batch.length) {
      // The peer named the events it refuses (a 400 with their paths): one bad event must not cost the
      // batch. Those fail; the rest go again at once, without them, in a request of their own.
      for (const [index, problems] of refused)
        this.o.store.markFailed(
          peer,
          [ids[index]!],
          now,
          `http ${result.status}: refused by peer: ${problems}`,
          result.status,
        );
      const rest = ids.filter((_, index) => !refused.has(index));
      this.o.store.markRetry(
        peer,
        rest,
        now,
        now,
        'sent again without the events the peer refused',
        result.status,
      );
      this.cursor.rewind();
      this.o.log?.('warn', 'peer refused events of a batch: only those failed', {
        peer,
        failed: refused.size,
        sentAgain: rest.length,
        reason: result.reason,
      });
      return;
    }
    if (
      result.kind === 'failed' &&
      REFUSALS_OF_CONTENT.has(result.status ?? 0) &&
      !refused &&
      batch.length > 1 &&
      !this.refusesWhole
    ) {
      const limit = Math.max(1, Math.floor(batch.length / 2));
      if (!this.isolation)
        this.o.log?.(
          'warn',
          'peer refused a batch without naming an event: sending fewer per request to find it',
          {
            peer,
            events: batch.length,
            reason: result.reason,
          },
        );
      this.isolation = {
        limit: Math.min(limit, this.isolation?.limit ?? limit),
        delivered: this.isolation?.delivered ?? false,
      };
      this.o.store.markRetry(
        peer,
        ids,
        now,
        now,
        `${result.reason} (no event named): sent again in smaller requests to find the event refused`,
        result.status,
      );
      this.cursor.rewind();
      return;
    }
    if (result.kind === 'failed') {
      if (this.isolation && batch.length === 1 && REFUSALS_OF_CONTENT.has(result.status ?? 0)) {
        // Found, or, with nothing delivered since the first refusal, every request is refused alike.
        this.refusesWhole = !this.isolation.delivered;
        this.isolation = undefined;
      }
      // The same body can never succeed (400, 403, 413 for one event…): fail these rows now, the peer itself is fine.
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
    const previous = { state: this.state, cause: this.refusal?.cause };
    this.refusal =
      result.kind === 'auth'
        ? describeAuthRefusal(result.reason, result.clockOffsetMs, this.o.replayWindowMs)
        : undefined;
    const reason = this.refusal?.message ?? result.reason;
    const retryAfterMs = result.kind === 'retry' ? result.retryAfterMs : undefined;
    const threshold = this.o.failuresBeforeBackoff ?? 3;
    let nextMs: number;
    if (this.consecutiveFailures >= threshold) {
      this.state = this.refusal ? 'auth-refused' : 'backing-off';
      // The peer's backoff goes on from the requests that failed before it: 1 row alone waits as it would.
      this.nextProbeMs = now + nextDelayMs(this.o.backoff, this.consecutiveFailures, retryAfterMs);
      nextMs = this.nextProbeMs;
      if (this.state !== previous.state || this.refusal?.cause !== previous.cause) this.logState(reason);
    } else {
      nextMs = now + nextDelayMs(this.o.backoff, attempts, retryAfterMs);
    }
    // Every row stays pending (until its event expires): a peer that is down or refuses our key or clock
    // gets everything once it is fixed.
    this.o.store.markRetry(peer, ids, now, nextMs, reason, result.status);
    this.o.store.recordAttempt(peer, now, false, this.state, this.consecutiveFailures, reason);
  }

  private logState(reason: string): void {
    const peer = this.o.peer;
    if (this.state === 'backing-off') {
      this.o.log?.('warn', 'peer unreachable: backing off and probing', { peer, reason });
      return;
    }
    const offset = this.refusal?.clockOffsetMs;
    this.o.log?.(
      'warn',
      this.refusal?.cause === 'clock'
        ? 'peer refuses our requests: its clock and ours differ by more than the replay window — synchronise clocks; deliveries stay pending until then'
        : 'peer refuses our signature: check that both sides hold the same key; deliveries stay pending until then',
      {
        peer,
        cause: this.refusal?.cause,
        reason,
        ...(offset === undefined ? {} : { peerClockOffsetSeconds: Math.round(offset / 1000) }),
      },
    );
  }

  /** A peer's 2xx answer said more than the receiver would: logged, at most once a minute (a peer can repeat it at will). */
  private unreadableAnswer(what: string): void {
    const suppressed = this.answerLog.take();
    if (suppressed === undefined) return;
    this.o.log?.('warn', "a peer's answer is not the receiver's: its unreadable part is ignored", {
      peer: this.o.peer,
      ignored: what,
      ...(suppressed > 0 ? { suppressed } : {}),
    });
  }

  /** The peer answered: healthy again, its error cleared, and whatever waited for it due at once. */
  private recovered(now: number, by: 'delivery' | 'health'): void {
    const peer = this.o.peer;
    const wasHealthy = this.state === 'healthy';
    const changed = !wasHealthy || this.consecutiveFailures !== 0;
    if (changed) {
      const due = this.o.store.dueBy(peer, now);
      this.cursor.rewind();
      if (!wasHealthy) this.o.log?.('info', 'peer answers again: draining backlog', { peer, by, due });
    }
    this.state = 'healthy';
    this.consecutiveFailures = 0;
    this.refusal = undefined;
    this.nextProbeMs = 0;
    // Steady success need not rewrite the peer row per request: on change, else once a second.
    if (changed || now - this.lastSuccessRecordedMs >= 1000) {
      this.o.store.recordAttempt(peer, now, true, this.state, 0);
      this.lastSuccessRecordedMs = now;
    }
  }
}
