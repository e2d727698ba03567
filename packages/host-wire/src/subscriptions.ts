/** The subscription run ledger on the control API: one row per (subscription, event). */
import { EventId } from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { lazyType } from './lazy-type.js';
import { LimitParam } from './query.js';

export const SubscriptionRunStatus = lazyType(() =>
  type("'pending' | 'running' | 'succeeded' | 'failed' | 'expired'"),
);
export type SubscriptionRunStatus = typeof SubscriptionRunStatus.infer;

export const SubscriptionRun = lazyType(() =>
  type({
    subscription: 'string',
    eventId: 'string',
    status: SubscriptionRunStatus,
    attempts: 'number',
    /** When a failed row is tried again; null otherwise. */
    nextAttemptAt: 'string | null',
    lastError: 'string | null',
    lastRunId: 'string | null',
    updatedAt: 'string',
  }),
);
export type SubscriptionRun = typeof SubscriptionRun.infer;

/** GET /v1/subscriptions/runs?subscription=&status=&limit= — most recently updated first. */
export const SubscriptionRunsQuery = lazyType(() =>
  type({
    'subscription?': 'string',
    'status?': SubscriptionRunStatus,
    'limit?': LimitParam,
  }).onUndeclaredKey('reject'),
);
export type SubscriptionRunsQuery = typeof SubscriptionRunsQuery.infer;
export const SubscriptionRunsResponse = lazyType(() => type({ runs: SubscriptionRun.array() }));
export type SubscriptionRunsResponse = typeof SubscriptionRunsResponse.infer;

/** POST /v1/subscriptions/:name/retry — failed rows (of one event, or all) back to pending now. */
export const SubscriptionRetryRequest = lazyType(() =>
  type({ 'eventId?': EventId }).onUndeclaredKey('reject'),
);
export type SubscriptionRetryRequest = typeof SubscriptionRetryRequest.infer;
export const SubscriptionRetryResponse = lazyType(() => type({ requeued: 'string[]' }));
export type SubscriptionRetryResponse = typeof SubscriptionRetryResponse.infer;
