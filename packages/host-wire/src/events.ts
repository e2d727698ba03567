/** Events on the control API: what a local writer sends, what it gets back, and how a reader filters. */
import { Event, EventDraft, EventId, EventType, Name } from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { MAX_BATCH_EVENTS, MAX_LIST_LIMIT } from './constants.js';
import { lazyType } from './lazy-type.js';
import { BooleanParam } from './query.js';

/** What a reader may ask of the event store. Shared by the store, the control API and routerctl. */
export const EventFilter = lazyType(() =>
  type({
    'type?': EventType,
    'sourceNode?': Name,
    'group?': Name,
    /** Expired events are hidden unless asked for: they are never delivered or matched. */
    'includeExpired?': 'boolean',
    'limit?': type(`1 <= number.integer <= ${MAX_LIST_LIMIT}`),
  }),
);
export type EventFilter = typeof EventFilter.infer;

/**
 * What a local writer (routerctl, the control API) sends: an EventDraft plus the group to write it in
 * (needed only when several EventGroups are configured). Unknown fields are refused, not ignored: a
 * misspelt `ttll` must not silently store an event that never expires.
 */
export const EmitRequest = lazyType(() => EventDraft.and({ 'group?': Name }).onUndeclaredKey('reject'));
export type EmitRequest = typeof EmitRequest.infer;

export const BatchEmitRequest = lazyType(() =>
  type({
    events: EmitRequest.array().atLeastLength(1).atMostLength(MAX_BATCH_EVENTS),
  }),
);
export type BatchEmitRequest = typeof BatchEmitRequest.infer;

export const EmitResult = lazyType(() =>
  type({
    id: EventId,
    /** stored: new; duplicate: already there, nothing changed; refreshed: only expiresAt moved later. */
    status: "'stored' | 'duplicate' | 'refreshed'",
    'expiresAt?': 'string',
  }),
);
export type EmitResult = typeof EmitResult.infer;

/** POST /v1/events → 201 (stored) or 200 (duplicate, refreshed). */
export const EmitResponse = lazyType(() => type({ result: EmitResult, event: Event }));
export type EmitResponse = typeof EmitResponse.infer;

/** POST /v1/events/batch → 200, results in request order. */
export const BatchEmitResponse = lazyType(() => type({ results: EmitResult.array() }));
export type BatchEmitResponse = typeof BatchEmitResponse.infer;

/** GET /v1/events?type=&sourceNode=&group=&includeExpired=true&limit= — newest first. */
export const ListEventsResponse = lazyType(() => type({ events: Event.array() }));
export type ListEventsResponse = typeof ListEventsResponse.infer;

/** GET /v1/events/:id[?includeExpired=true] */
export const GetEventResponse = lazyType(() => type({ event: Event, expired: 'boolean' }));
export type GetEventResponse = typeof GetEventResponse.infer;

/** The query string of GET /v1/events, parsed into an EventFilter. */
export const ListEventsQuery = lazyType(() =>
  type({
    'type?': 'string',
    'sourceNode?': 'string',
    'group?': 'string',
    'includeExpired?': BooleanParam,
    'limit?': type('string.integer.parse'),
  })
    .onUndeclaredKey('reject')
    .pipe(EventFilter),
);
