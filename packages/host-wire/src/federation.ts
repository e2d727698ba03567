/** Federation on the control API: the outbox's deliveries, the peers, redelivery and pruning (docs/federation.md). */
import { Duration, EventId, Timestamp } from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { lazyType } from './lazy-type.js';
import { LimitParam } from './query.js';

/**
 * A peer's delivery state, as its worker sees it.
 * healthy: sending as rows come due. backing-off: the peer does not answer (or answers 5xx): one probe at
 * a time, the peer's backoff between probes. auth-refused: the peer answers 401 to our requests (a wrong
 * key, or clocks further apart than the replay window): probed the same way, but it needs the operator.
 */
export const PeerStateNames = ['healthy', 'backing-off', 'auth-refused'] as const;
export const PeerState = lazyType(() => type.enumerated(...PeerStateNames));
export type PeerStateName = typeof PeerState.infer;

export const DeliveryStatus = lazyType(() => type("'pending' | 'delivered' | 'failed' | 'expired'"));
export type DeliveryStatus = typeof DeliveryStatus.infer;

/** GET /v1/federation/deliveries?peer=&status=&eventId=&limit= */
export const DeliveriesQuery = lazyType(() =>
  type({
    'peer?': 'string',
    'status?': DeliveryStatus,
    'eventId?': 'string',
    'limit?': LimitParam,
  }).onUndeclaredKey('reject'),
);
export type DeliveriesQuery = typeof DeliveriesQuery.infer;

/** One row of the outbox: an event this node originated, on its way to one peer. */
export const Delivery = lazyType(() =>
  type({
    eventId: 'string',
    peer: 'string',
    status: DeliveryStatus,
    attempts: 'number',
    nextAttemptAt: 'string | null',
    enqueuedAt: 'string',
    deliveredAt: 'string | null',
    lastStatus: 'number | null',
    lastError: 'string | null',
  }),
);
export type Delivery = typeof Delivery.infer;
/** GET /v1/federation/deliveries — newest event first. */
export const DeliveriesResponse = lazyType(() => type({ deliveries: Delivery.array() }));
export type DeliveriesResponse = typeof DeliveriesResponse.infer;

export const PeerSummary = lazyType(() =>
  type({
    peer: 'string',
    delivered: 'number',
    pending: 'number',
    failed: 'number',
    expired: 'number',
    oldestPendingAgeSeconds: 'number | null',
    /** The worst lag among deliveries completed in the last 15 minutes. */
    maxLagSeconds: 'number | null',
  }),
);
export type PeerSummary = typeof PeerSummary.infer;
/** GET /v1/federation/deliveries/summary */
export const DeliveriesSummaryResponse = lazyType(() => type({ peers: PeerSummary.array() }));
export type DeliveriesSummaryResponse = typeof DeliveriesSummaryResponse.infer;

/** What a peer's worker last recorded (kept across restarts and reloads). */
export const PeerRecord = lazyType(() =>
  type({
    peer: 'string',
    state: PeerState,
    consecutiveFailures: 'number',
    lastAttemptAt: 'string | null',
    lastSuccessAt: 'string | null',
    /** Cleared by the first success: an old error beside a working peer only misleads. */
    lastError: 'string | null',
    lastErrorAt: 'string | null',
  }),
);
export type PeerRecord = typeof PeerRecord.infer;

/** A configured peer: what its worker recorded, its live state, and where it is. */
export const PeerInfo = lazyType(() =>
  PeerRecord.merge({
    nodeName: 'string',
    endpoint: 'string',
    /** no-key: nothing is sent to the peer (no auth.secretFile). auth-refused needs the operator. */
    state: PeerState.or("'no-key'"),
  }),
);
export type PeerInfo = typeof PeerInfo.infer;
/** GET /v1/federation/peers */
export const PeersResponse = lazyType(() => type({ peers: PeerInfo.array() }));
export type PeersResponse = typeof PeersResponse.infer;

/**
 * POST /v1/federation/redeliver: one event's deliveries (`eventId`), or every failed delivery matching
 * (`status: "failed"`, optionally to one `peer`, that failed at or after `since`: a timestamp, or a
 * duration meaning that long before now by the daemon's clock).
 */
export const RedeliverRequest = lazyType(() =>
  type({
    'eventId?': EventId,
    'status?': "'failed'",
    'peer?': 'string',
    'since?': Timestamp.or(Duration),
  })
    .onUndeclaredKey('reject')
    .narrow((r, ctx) => {
      if (r.eventId !== undefined && r.status !== undefined)
        return ctx.reject({
          path: ['status'],
          expected: 'absent when eventId is given (one event, or every failed delivery)',
        });
      if (r.eventId === undefined && r.status === undefined)
        return ctx.reject({
          path: ['eventId'],
          expected: 'an event id, or status "failed" for every failed delivery',
        });
      if (r.since !== undefined && r.status === undefined)
        return ctx.reject({ path: ['since'], expected: 'given only with status "failed"' });
      return true;
    }),
);
export type RedeliverRequest = typeof RedeliverRequest.infer;
export const RedeliverResponse = lazyType(() => type({ requeued: 'number' }));
export type RedeliverResponse = typeof RedeliverResponse.infer;

/**
 * POST /v1/federation/peers/{name}/retry: the peer is probed now. `probe` says how: `delivery` (its
 * oldest pending event was sent), `health` (nothing pending: GET /v1/health was asked) or `none` (it was
 * healthy: its pending rows were only made due now). `peer` is its state after the probe.
 */
export const PeerRetryResponse = lazyType(() =>
  type({
    peer: PeerInfo,
    probe: "'delivery' | 'health' | 'none'",
    pending: 'number',
    'detail?': 'string',
  }),
);
export type PeerRetryResponse = typeof PeerRetryResponse.infer;

export const PrunedEvent = lazyType(() =>
  type({
    id: 'string',
    group: 'string',
    type: 'string',
    reason: "'expired' | 'max-age' | 'max-events'",
    undelivered: 'boolean',
  }),
);
export type PrunedEvent = typeof PrunedEvent.infer;
/** One ledger of the retention table (docs/federation.md § Retention), and its rows in this answer. */
export const RetainedLedger = lazyType(() =>
  type({
    /** The table: events, deliveries, received_webhooks, peer_state, subscription_runs, plugin_runs, … */
    ledger: 'string',
    /** What it holds. */
    keeps: 'string',
    /** Which rows retention removes. */
    rule: 'string',
    /** The config field that sets the bound; null when the default alone applies. */
    setting: 'string | null',
    /** Rows the rule selects now (dry run), or rows removed (prune). */
    rows: 'number',
  }),
);
export type RetainedLedger = typeof RetainedLedger.infer;
/**
 * GET /v1/federation/prune (dry run: what a prune would remove now) and POST (remove exactly that): the
 * first events one by one, and every ledger with its row count (the events' row counts them all).
 */
export const PruneResponse = lazyType(() =>
  type({
    dryRun: 'boolean',
    /** The first 1000 events selected (or removed), in the order a prune removes them. */
    events: PrunedEvent.array(),
    /** Events selected (or removed) beyond those listed; absent when `events` lists them all. */
    'eventsNotListed?': 'number',
    ledgers: RetainedLedger.array(),
    'removed?': { events: 'number', undelivered: 'number', deliveries: 'number', webhooks: 'number' },
  }),
);
export type PruneResponse = typeof PruneResponse.infer;
