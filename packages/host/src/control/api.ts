/**
 * The control API's wire types (HTTP + JSON over DIR/routerd.sock), exported as `@routerd/host/control-api`
 * so routerctl uses the very same schemas and types. Pure data: no express, no SQLite.
 * docs/control-api.md describes each route.
 */
import { Duration, Event, EventId, Name, Timestamp } from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { EventFilter } from '../events/filter.js';
import { EmitRequest } from '../events/request.js';
import { PeerStateNames } from '../federation/peer-state.js';
import { PluginRunOutcome, PluginRunRecord, PluginStatus, RunOutcomeKind } from '../plugins/schemas.js';
import { MAX_BATCH_EVENTS } from './wire.js';

export * from './wire.js';
export { EmitRequest, EventFilter };

export const BatchEmitRequest = type({
  events: EmitRequest.array().atLeastLength(1).atMostLength(MAX_BATCH_EVENTS),
});
export type BatchEmitRequest = typeof BatchEmitRequest.infer;

export const EmitResult = type({
  id: EventId,
  /** stored: new; duplicate: already there, nothing changed; refreshed: only expiresAt moved later. */
  status: "'stored' | 'duplicate' | 'refreshed'",
  'expiresAt?': 'string',
});
export type EmitResult = typeof EmitResult.infer;

/** POST /v1/events → 201 (stored) or 200 (duplicate, refreshed). */
export const EmitResponse = type({ result: EmitResult, event: Event });
export type EmitResponse = typeof EmitResponse.infer;

/** POST /v1/events/batch → 200, results in request order. */
export const BatchEmitResponse = type({ results: EmitResult.array() });
export type BatchEmitResponse = typeof BatchEmitResponse.infer;

/** GET /v1/events?type=&sourceNode=&group=&includeExpired=true&limit= — newest first. */
export const ListEventsResponse = type({ events: Event.array() });
export type ListEventsResponse = typeof ListEventsResponse.infer;

/** GET /v1/events/:id[?includeExpired=true] */
export const GetEventResponse = type({ event: Event, expired: 'boolean' });
export type GetEventResponse = typeof GetEventResponse.infer;

export const StatusResponse = type({
  version: 'string',
  pid: 'number',
  startedAt: 'string',
  groups: type({ name: Name, nodeName: Name }).array(),
  uptimeSeconds: 'number',
  config: {
    files: 'string[]',
    generation: 'number',
    loadedAt: 'string',
    /** The last SIGHUP: applied, or refused with its problems (the generation in force stayed). */
    'lastReload?': { at: 'string', result: "'applied' | 'refused'", problems: 'string[]' },
    /** Config files whose content differs from the config in force (edited and not reloaded, or refused). */
    changedOnDisk: 'string[]',
  },
  events: { stored: 'number' },
});
export type StatusResponse = typeof StatusResponse.infer;

// --- federation (docs/federation.md) -------------------------------------------------------------

export const DeliveryStatus = type("'pending' | 'delivered' | 'failed' | 'expired'");
export const DeliveriesQuery = type({
  'peer?': 'string',
  'status?': DeliveryStatus,
  'eventId?': 'string',
  'limit?': type('string.integer.parse').pipe(type('1 <= number.integer <= 10000')),
}).onUndeclaredKey('reject');

export const Delivery = type({
  eventId: 'string',
  peer: 'string',
  status: DeliveryStatus,
  attempts: 'number',
  nextAttemptAt: 'string | null',
  enqueuedAt: 'string',
  deliveredAt: 'string | null',
  lastStatus: 'number | null',
  lastError: 'string | null',
});
/** GET /v1/federation/deliveries?peer=&status=&eventId=&limit= — newest event first. */
export const DeliveriesResponse = type({ deliveries: Delivery.array() });
export type DeliveriesResponse = typeof DeliveriesResponse.infer;

export const PeerSummary = type({
  peer: 'string',
  delivered: 'number',
  pending: 'number',
  failed: 'number',
  expired: 'number',
  oldestPendingAgeSeconds: 'number | null',
  maxLagSeconds: 'number | null',
});
/** GET /v1/federation/deliveries/summary */
export const DeliveriesSummaryResponse = type({ peers: PeerSummary.array() });
export type DeliveriesSummaryResponse = typeof DeliveriesSummaryResponse.infer;

export const PeerInfo = type({
  peer: 'string',
  nodeName: 'string',
  endpoint: 'string',
  /** auth-refused: the peer answers 401 (a wrong key, or a clock off by more than the replay window): needs the operator. */
  state: type.enumerated(...PeerStateNames, 'no-key'),
  consecutiveFailures: 'number',
  lastAttemptAt: 'string | null',
  lastSuccessAt: 'string | null',
  lastError: 'string | null',
  lastErrorAt: 'string | null',
});
/** GET /v1/federation/peers */
export const PeersResponse = type({ peers: PeerInfo.array() });
export type PeersResponse = typeof PeersResponse.infer;

/**
 * POST /v1/federation/redeliver: one event's deliveries (`eventId`), or every failed delivery matching
 * (`status: "failed"`, optionally to one `peer`, that failed at or after `since`: a timestamp, or a
 * duration meaning that long before now by the daemon's clock).
 */
export const RedeliverRequest = type({
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
  });
export type RedeliverRequest = typeof RedeliverRequest.infer;
export const RedeliverResponse = type({ requeued: 'number' });
export type RedeliverResponse = typeof RedeliverResponse.infer;

/**
 * POST /v1/federation/peers/{name}/retry: the peer is probed now. `probe` says how: `delivery` (its
 * oldest pending event was sent), `health` (nothing pending: GET /v1/health was asked) or `none` (it was
 * healthy: its pending rows were only made due now). `peer` is its state after the probe.
 */
export const PeerRetryResponse = type({
  peer: PeerInfo,
  probe: "'delivery' | 'health' | 'none'",
  pending: 'number',
  'detail?': 'string',
});
export type PeerRetryResponse = typeof PeerRetryResponse.infer;

export const PrunedEvent = type({
  id: 'string',
  group: 'string',
  type: 'string',
  reason: "'expired' | 'max-age' | 'max-events'",
  undelivered: 'boolean',
});
/** GET /v1/federation/prune (dry run: what a prune would remove now) and POST (remove exactly that). */
export const PruneResponse = type({
  dryRun: 'boolean',
  events: PrunedEvent.array(),
  'removed?': { events: 'number', undelivered: 'number', deliveries: 'number', webhooks: 'number' },
});
export type PruneResponse = typeof PruneResponse.infer;

// --- plugins (docs/control-api.md § Plugins) -----------------------------------------------------

export { PluginRunOutcome, PluginRunRecord, PluginStatus };

/** GET /v1/plugins */
export const PluginsResponse = type({ plugins: PluginStatus.array() });
export type PluginsResponse = typeof PluginsResponse.infer;

/** POST /v1/plugins/:name/run — a manual run; `events` are whole Events handed to the plugin, not stored. */
export const RunPluginRequest = type({
  'dryRun?': 'boolean',
  'topic?': 'string',
  'events?': Event.array().atMostLength(MAX_BATCH_EVENTS),
}).onUndeclaredKey('reject');
export type RunPluginRequest = typeof RunPluginRequest.infer;
export const RunPluginResponse = type({ run: PluginRunOutcome });
export type RunPluginResponse = typeof RunPluginResponse.infer;

/** GET /v1/plugins/runs?plugin=&outcome=&limit= — newest first. */
export const PluginRunsQuery = type({
  'plugin?': 'string',
  'outcome?': RunOutcomeKind,
  'limit?': type('string.integer.parse').pipe(type('1 <= number.integer <= 10000')),
}).onUndeclaredKey('reject');
export const PluginRunsResponse = type({ runs: PluginRunRecord.array() });
export type PluginRunsResponse = typeof PluginRunsResponse.infer;

// --- dynamic config, subscriptions, actions -----------------------------------------------------

export const PartSummary = type({
  name: 'string',
  source: 'string',
  generation: 'number',
  state: "'active' | 'released'",
  expiresAt: 'string | null',
  resources: 'string[]',
  actionPlans: 'number',
});
/** GET /v1/dynamic/parts */
export const DynamicPartsResponse = type({ parts: PartSummary.array() });
export type DynamicPartsResponse = typeof DynamicPartsResponse.infer;
/** GET /v1/dynamic/parts/:name — the whole DynamicConfigPart. */
export const DynamicPartResponse = type({ state: "'active' | 'released'", part: 'Record<string, unknown>' });
export type DynamicPartResponse = typeof DynamicPartResponse.infer;
/** GET /v1/dynamic/render — effective config: startup + active dynamic − masks. */
export const RenderResponse = type({
  resources: 'Record<string, unknown>[]',
  masked: type({ kind: 'string', name: 'string', by: 'string', reason: 'string' }).array(),
  parts: 'string[]',
});
export type RenderResponse = typeof RenderResponse.infer;

export const SubscriptionRunStatus = type("'pending' | 'running' | 'succeeded' | 'failed' | 'expired'");
export const SubscriptionRunsQuery = type({
  'subscription?': 'string',
  'status?': SubscriptionRunStatus,
  'limit?': type('string.integer.parse').pipe(type('1 <= number.integer <= 10000')),
}).onUndeclaredKey('reject');
/** GET /v1/subscriptions/runs */
export const SubscriptionRunsResponse = type({
  runs: type({
    subscription: 'string',
    eventId: 'string',
    status: SubscriptionRunStatus,
    attempts: 'number',
    nextAttemptAt: 'string | null',
    lastError: 'string | null',
    lastRunId: 'string | null',
    updatedAt: 'string',
  }).array(),
});
export type SubscriptionRunsResponse = typeof SubscriptionRunsResponse.infer;
export const SubscriptionRetryRequest = type({ 'eventId?': EventId }).onUndeclaredKey('reject');
export const SubscriptionRetryResponse = type({ requeued: 'string[]' });
export type SubscriptionRetryResponse = typeof SubscriptionRetryResponse.infer;

export const ActionSummary = type({
  id: 'string',
  part: 'string',
  provider: 'string',
  action: 'string',
  target: 'Record<string, unknown>',
  idempotencyKey: 'string',
  status: "'planned'",
  executed: 'false',
});
export type ActionSummary = typeof ActionSummary.infer;
/** GET /v1/actions — plans of active dynamic parts; inert, never executed by this daemon. */
export const ActionsResponse = type({ actions: ActionSummary.array() });
export type ActionsResponse = typeof ActionsResponse.infer;
export const ActionResponse = type({ action: ActionSummary, plan: 'Record<string, unknown>' });
export type ActionResponse = typeof ActionResponse.infer;

// --- doctor (routerctl doctor federation) --------------------------------------------------------

export const DoctorStatus = type("'PASS' | 'WARN' | 'FAIL'");
export type DoctorStatus = typeof DoctorStatus.infer;
export const DoctorCheck = type({
  /** Stable: scripts and runbooks key on it (docs/control-api.md lists every code). */
  code: 'string',
  status: DoctorStatus,
  /** What was checked: a peer, a group, a file, a plugin, a subscription, a sender. */
  subject: 'string',
  summary: 'string',
  /** What to do; present on every WARN and FAIL. */
  'advice?': 'string',
});
export type DoctorCheck = typeof DoctorCheck.infer;
/**
 * GET /v1/doctor/federation[?probe=false]: `probe=false` skips the authenticated probe of each peer
 * (the `peer-probe` checks); the health probe behind `peer-reachable` still runs.
 */
export const DoctorQuery = type({
  'probe?': type("'true' | 'false'").pipe((s) => s === 'true'),
}).onUndeclaredKey('reject');
/** GET /v1/doctor/federation — `status` is the worst of the checks. */
export const DoctorResponse = type({
  status: DoctorStatus,
  generatedAt: 'string',
  checks: DoctorCheck.array(),
});
export type DoctorResponse = typeof DoctorResponse.infer;

export const ErrorCode = type(
  "'invalid_json' | 'invalid_request' | 'invalid_event' | 'self_captured_address' | 'id_conflict' | 'not_found' | 'payload_too_large' | 'shutting_down' | 'storage_full' | 'internal'",
);
export type ErrorCode = typeof ErrorCode.infer;

/** Every non-2xx response. `issues` carries JSON Pointer paths into the request body or query. */
export const ErrorResponse = type({
  error: {
    code: ErrorCode,
    message: 'string',
    'issues?': type({ path: 'string', message: 'string' }).array(),
  },
});
export type ErrorResponse = typeof ErrorResponse.infer;

/** The query string of GET /v1/events, parsed into an EventFilter. */
export const ListEventsQuery = type({
  'type?': 'string',
  'sourceNode?': 'string',
  'group?': 'string',
  'includeExpired?': type("'true' | 'false'").pipe((s) => s === 'true'),
  'limit?': type('string.integer.parse'),
})
  .onUndeclaredKey('reject')
  .pipe(EventFilter);
